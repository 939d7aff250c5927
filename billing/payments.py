"""Stripe payments: Checkout for a participant, webhooks stored once and processed
idempotently (in any order), refunds recorded from Stripe's events, reconciliation.

Money recorded here always comes from Stripe's signed events, never from a
browser redirect or a button click.

A stored event is the truth: it is processed by a task queued on commit, and if
that task never runs (the broker was down, a worker died), by the beat task
``billing.tasks.redrive_stripe_events`` a minute later, or by ``reconcile``.
"""
import logging
import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from billing import booking_payments, ledger, messages, packages
from billing.checkout import open_checkout
from billing.models import EntryKind, Payment, PaymentRequest, PaymentState, Refund, StripeEvent
from notifications.outbox import BROKER_RETRY
from practice.errors import DomainError
from practice.errors import NotConfigured as NotConfiguredError
from sessions_app.models import Participant, SessionStatus

log = logging.getLogger(__name__)
PAYMENT_EVENTS = {"checkout.session.completed", "payment_intent.succeeded"}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated"}
TOKEN_SALT = "participant-payment"
WAITING = "waiting for the payment"
# The beat task leaves an event this long to the task queued when it was stored...
REDRIVE_AFTER = timedelta(minutes=1)
# ...and gives up on one older than this (Stripe keeps events 30 days; reconcile covers that window).
REDRIVE_WITHIN = timedelta(days=30)
REDRIVE_BATCH = 200


class NotConfigured(NotConfiguredError):
    """Stripe is not set up for the practice."""


def client_for(practice) -> stripe.StripeClient:
    if practice.stripe_secret_key:
        key, account = practice.stripe_secret_key, None
    elif practice.stripe_account_id and settings.STRIPE_SECRET_KEY:
        key, account = settings.STRIPE_SECRET_KEY, practice.stripe_account_id
    else:
        raise NotConfigured("Stripe is not set up for this practice.")
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(key, stripe_account=account, base_addresses=base, max_network_retries=2)


def webhook_secret(practice) -> str:
    return practice.stripe_webhook_secret or (settings.STRIPE_WEBHOOK_SECRET if practice.stripe_account_id else "")


def places(currency) -> int:
    return ledger.MINOR_UNITS.get(currency.upper(), 2)


def to_minor(amount: Decimal, currency: str) -> int:
    return int(ledger.money(amount, currency).scaleb(places(currency)))


def from_minor(value: int, currency: str) -> Decimal:
    return ledger.money(Decimal(value).scaleb(-places(currency)), currency)


def set_terms(participant, *, service, amount: Decimal | None) -> PaymentRequest | None:
    """Require ``amount`` for ``service`` from a participant, change what is required, or drop it.

    Terms that money already moved under (paid or refunded) stay as they are.
    """
    request = PaymentRequest.objects.filter(participant=participant).first()
    if request is not None and request.state != PaymentState.REQUIRED:
        return request
    if not amount:
        if request is not None:
            request.delete()
        return None
    if request is None:
        return PaymentRequest.objects.create(practice_id=participant.session.practice_id, participant=participant,
                                             service=service, amount=amount)
    request.service, request.amount = service, amount
    request.save(update_fields=["service", "amount"])
    return request


def request_of(participant) -> PaymentRequest | None:
    """The participant's payment request (prefetched or not), or None."""
    try:
        return participant.payment_request
    except PaymentRequest.DoesNotExist:
        return None


def is_canceled(participant) -> bool:
    """Whether the participant no longer attends: the session, or their place in it, was canceled."""
    return SessionStatus.CANCELED in (participant.session.status, participant.completion_status)


def due_request(participant) -> PaymentRequest | None:
    """The participant's payment request while it is still to be paid, else None.

    Nothing is due for a canceled session (or a participant canceled in it): its
    payment link says so and starts no Checkout.
    """
    request = request_of(participant)
    if request is None or not request.is_due or is_canceled(participant):
        return None
    return request


def payment_token(participant) -> str:
    return signing.dumps({"participant": participant.pk}, salt=TOKEN_SALT)


def participant_id_for_token(token) -> int | None:
    """The participant a payment link was made for, if the link is genuine (the participant may be gone since)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=60 * 60 * 24 * 120)
    except signing.BadSignature:
        return None
    pk = data.get("participant") if isinstance(data, dict) else None
    return pk if isinstance(pk, int) else None


def participant_for_token(token):
    pk = participant_id_for_token(token)
    if pk is None:
        return None
    return (Participant.objects.select_related("session__practice", "session__practitioner", "payment_request__service")
            .filter(pk=pk).first())


def payment_url(participant) -> str:
    return settings.SITE_URL + reverse("billing:pay", args=[payment_token(participant)])


def start_checkout(participant) -> str:
    """A Checkout Session for exactly the required amount: the open one the request has, else a new
    one (billing.checkout); return Stripe's page URL. DomainError when it was paid a moment ago."""
    session = participant.session
    practice = session.practice
    request = due_request(participant)
    if request is None:
        raise DomainError("No payment is due for this participant.", code="nothing_due")
    token = payment_token(participant)
    metadata = {"practice_id": str(practice.pk), "participant_id": str(participant.pk), "session_id": str(session.pk)}
    name = request.service.name if request.service_id else "Session"
    params = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": practice.currency.lower(), "unit_amount": to_minor(request.amount, practice.currency),
            "product_data": {"name": f"{name} with {session.practitioner}"}}}],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "client_reference_id": str(participant.pk),
        "customer_email": participant.email or None,
        "success_url": settings.SITE_URL + reverse("billing:pay_done", args=[token]),
        "cancel_url": settings.SITE_URL + reverse("billing:pay", args=[token]),
    }
    # Clicked twice (two tabs, a retry): the same Checkout Session (billing.checkout).
    checkout = open_checkout(client_for(practice), params, purpose=f"participant-{participant.pk}",
                             current_id=request.checkout_session_id)
    PaymentRequest.objects.filter(pk=request.pk).update(checkout_session_id=checkout.id)
    return checkout.url


def request_refund(*, practice, actor, payment: Payment, amount: Decimal | None = None):
    """Ask Stripe for a refund. Nothing is recorded here: Stripe's event records it."""
    remaining = payment.amount - payment.refunded_amount
    amount = remaining if amount is None else ledger.money(amount, payment.currency)
    if amount <= 0 or amount > remaining:
        raise DomainError(f"Refund between 0.01 and {remaining} {payment.currency}.", code="bad_amount")
    return client_for(practice).v1.refunds.create(params={
        "payment_intent": payment.payment_intent, "amount": to_minor(amount, payment.currency),
        "metadata": {"practice_id": str(practice.pk), "requested_by": str(actor.pk)},
    })


def queue_processing(event_pk: int) -> bool:
    """Ask a worker to process a stored event; False (logged) when the broker cannot be reached.

    Runs after the event's row committed, so it must not fail the webhook's answer:
    Stripe would retry an event we already hold. The beat task processes it instead.
    """
    from billing.tasks import process_stripe_event

    try:
        process_stripe_event.apply_async((event_pk,), retry_policy=BROKER_RETRY)
    except Exception as error:  # kombu's OperationalError, a socket error...: the broker is away
        log.warning("Stripe event %s could not be queued (%s: %s); the beat task will process it",
                    event_pk, type(error).__name__, error)
        return False
    return True


def store_event(practice, event: dict, *, queue=True) -> tuple[StripeEvent, bool]:
    """Store a verified event once by its id; queue its processing on commit (unless ``queue`` is False)."""
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event["id"], practice=practice, type=event["type"], payload=event)
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"]), False
    if queue:
        pk = stored.pk
        transaction.on_commit(lambda: queue_processing(pk))
    return stored, True


def _participant(event: StripeEvent, metadata) -> Participant | None:
    try:
        pk = int(metadata.get("participant_id", ""))
    except (TypeError, ValueError):
        return None
    if str(metadata.get("practice_id")) != str(event.practice_id):
        return None
    return Participant.objects.select_for_update().select_related("session__practice", "session__practitioner").filter(
        pk=pk, session__practice_id=event.practice_id).first()


def _record_payment(event, obj):
    metadata = obj.get("metadata") or {}
    # A package sold through Checkout, and a payment taken when booking in the portal, have their own rules.
    if metadata.get("client_package_id"):
        return packages.payment_event(event, obj)
    if metadata.get("booking_hold") and event.type == "checkout.session.completed":
        return booking_payments.checkout_completed(event, obj)
    if event.type == "checkout.session.completed":
        if obj.get("payment_status") != "paid":
            return "checkout not paid yet"
        intent, minor = obj.get("payment_intent"), obj.get("amount_total")
    else:
        intent, minor = obj.get("id"), obj.get("amount_received") or obj.get("amount")
    participant = _participant(event, obj.get("metadata") or {})
    if participant is None:
        log.warning("Stripe event %s names a participant outside practice %s: ignored", event.event_id, event.practice_id)
        return "ignored: participant not in this practice"
    currency = participant.session.practice.currency
    if (obj.get("currency") or currency).upper() != currency:
        log.warning("Stripe event %s is in %s, the practice bills in %s: ignored", event.event_id, obj.get("currency"), currency)
        return "ignored: wrong currency"
    amount = from_minor(minor, currency)
    if not record_payment(event=event, participant=participant, intent=intent, amount=amount,
                          label=payment_label(event, obj, participant.session.practice)):
        return "payment already recorded"
    return "payment recorded"


def record_payment(*, event, participant, intent: str, amount: Decimal, label: str, notify: bool = True) -> bool:
    """Record one Stripe payment of a participant once (by its PaymentIntent): the Payment, the ledger's
    PAYMENT line and the payment request paid; refunds already waiting for it are applied. False when
    the payment was recorded before. ``event`` is the Stripe event that says so, or None for Stripe's
    own answer to a call (a capture)."""
    practice_id = participant.session.practice_id
    currency = participant.session.practice.currency
    payment, created = Payment.objects.get_or_create(
        payment_intent=intent,
        defaults={"practice_id": practice_id, "participant": participant, "amount": amount, "currency": currency},
    )
    if not created:
        return False
    # The client reads this line: no Stripe id in it (the intent stays on the Payment, for the team).
    ledger.write(
        practice_id=practice_id, kind=EntryKind.PAYMENT, amount=-amount, currency=currency, label=label[:120],
        practitioner=participant.session.practitioner, session=participant.session,
        participant=participant, service_date=_practice_day(participant.session), **ledger.client_fields(participant),
    )
    request, _ = PaymentRequest.objects.select_for_update().get_or_create(
        participant=participant, defaults={"practice_id": practice_id, "amount": amount})
    request.paid_amount += amount
    request.state = PaymentState.PAID
    request.save(update_fields=["paid_amount", "state"])
    if notify:
        messages.payment_received(payment)
    # Refunds that arrived before this payment can be applied now.
    waiting = StripeEvent.objects.select_for_update().filter(processed_at__isnull=True, type__in=REFUND_EVENTS)
    for refund in waiting.exclude(pk=event.pk) if event is not None else waiting:
        if refund.payload["data"]["object"].get("payment_intent") == intent:
            _finish(refund, _record_refunds(refund, refund.payload["data"]["object"]))
    return True


def _practice_day(session):
    return session.start.astimezone(zoneinfo.ZoneInfo(session.practice.time_zone)).date()


def _card(obj) -> dict:
    """The card of a payment event's charge, when the event carries it (older API versions list the
    charges on the PaymentIntent; an expanded ``latest_charge`` has it too); else {}."""
    charge = obj.get("latest_charge")
    if not isinstance(charge, dict):
        charges = (obj.get("charges") or {}).get("data") or []
        charge = charges[0] if charges and isinstance(charges[0], dict) else {}
    details = charge.get("payment_method_details") or obj.get("payment_method_details") or {}
    return details.get("card") or {}


def _event_day(event, practice) -> str:
    """The day Stripe created the event (today without one), in the practice's zone ("Mar 1, 2030")."""
    created = event.payload.get("created") if event is not None else None
    moment = datetime.fromtimestamp(created, tz=zoneinfo.ZoneInfo("UTC")) if isinstance(created, int) else timezone.now()
    return format_date(moment.astimezone(zoneinfo.ZoneInfo(practice.time_zone)), "M j, Y")


CARD_BRANDS = {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay",
               "mastercard": "Mastercard", "visa": "Visa", "discover": "Discover", "unknown": ""}


def payment_label(event, obj, practice) -> str:
    """What a client reads for a card payment: "Card payment, Visa ending 4242", else "Card payment, Mar 1, 2030"."""
    card = _card(obj)
    brand, last4 = str(card.get("brand") or "").strip().lower(), str(card.get("last4") or "").strip()
    if not last4:
        return f"Card payment, {_event_day(event, practice)}"
    brand = CARD_BRANDS.get(brand, brand.title()) or "card"
    return f"Card payment, {brand} ending {last4}"


def _record_refunds(event, obj):
    intent = obj.get("payment_intent")
    payment = Payment.objects.select_for_update(of=("self",)).select_related("participant__session").filter(
        payment_intent=intent, practice_id=event.practice_id).first()
    if payment is None:
        return None  # waiting for the payment event
    refunds = (obj.get("refunds") or {}).get("data", []) if event.type == "charge.refunded" else [obj]
    recorded = 0
    for refund in refunds:
        if refund.get("status") not in ("succeeded", None):
            continue
        amount = from_minor(refund["amount"], payment.currency)
        _, created = Refund.objects.get_or_create(refund_id=refund["id"], defaults={"payment": payment, "amount": amount})
        if not created:
            continue
        participant = payment.participant
        label = f"Card refund, {_event_day(event, payment.practice)}"[:120]
        if participant is None:  # a package's payment: the refund is the client's, not a session's
            packages.refund_line(payment, amount=amount, label=label)
            payment.refunded_amount += amount
            recorded += 1
            continue
        ledger.write(
            practice_id=payment.practice_id, kind=EntryKind.REFUND, amount=amount, currency=payment.currency,
            label=label, practitioner=participant.session.practitioner, session=participant.session,
            participant=participant, service_date=_practice_day(participant.session), **ledger.client_fields(participant),
        )
        payment.refunded_amount += amount
        request = PaymentRequest.objects.select_for_update().get(participant=participant)
        request.refunded_amount += amount
        request.state = PaymentState.REFUNDED if request.refunded_amount >= request.paid_amount else PaymentState.PARTLY_REFUNDED
        request.save(update_fields=["refunded_amount", "state"])
        recorded += 1
    payment.save(update_fields=["refunded_amount"])
    return f"{recorded} refund(s) recorded"


def _finish(event, outcome):
    if outcome is None:  # a refund before its payment: left unprocessed, applied when the payment is recorded
        if event.outcome != WAITING:
            event.outcome = WAITING
            event.save(update_fields=["outcome"])
        return WAITING
    event.outcome, event.processed_at = outcome[:200], timezone.now()
    event.save(update_fields=["outcome", "processed_at"])
    return outcome


@transaction.atomic
def process_event(event_pk: int) -> str:
    """Apply one stored event; safe to run again, and in any order."""
    event = StripeEvent.objects.select_for_update().filter(pk=event_pk).first()
    if event is None or event.processed_at:
        return event.outcome if event else "unknown event"
    obj = event.payload.get("data", {}).get("object", {})
    if event.type in PAYMENT_EVENTS:
        return _finish(event, _record_payment(event, obj))
    if event.type in REFUND_EVENTS:
        return _finish(event, _record_refunds(event, obj))
    return _finish(event, f"not handled: {event.type}")


def redrive(*, practice=None, since=None, older_than=REDRIVE_AFTER, limit=REDRIVE_BATCH) -> dict:
    """Process stored events that are still unprocessed (their task was never queued, or was lost).

    Events received in the last ``older_than`` are left to the task queued when they were
    stored; events older than ``since`` (default: 30 days) are left alone. Idempotent, and
    quiet for a refund still waiting for its payment (it stays waiting, nothing is written).
    Returns how many events were tried, and their outcomes.
    """
    now = timezone.now()
    events = StripeEvent.objects.filter(processed_at__isnull=True, received_at__lte=now - older_than,
                                        received_at__gte=since or now - REDRIVE_WITHIN)
    if practice is not None:
        events = events.filter(practice=practice)
    outcomes = {}
    for pk in events.order_by("received_at", "id").values_list("pk", flat=True)[:limit]:
        try:
            outcome = process_event(pk)
        except Exception:  # one bad event must not hold up the others; it is tried again next time
            log.exception("Stripe event %s could not be processed", pk)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    done = sum(n for outcome, n in outcomes.items() if outcome not in (WAITING, "error"))
    if done:
        log.info("Stripe events processed after the fact: %s", outcomes)
    return outcomes


def reconcile(practice, *, since) -> tuple[int, int]:
    """After an outage: fetch Stripe's events since ``since``, store those we never received, and
    process every event of the practice still unprocessed since then (new or stored earlier).

    Processing happens here, not through the broker, so this works while Redis is down.
    Returns (events listed by Stripe, events stored now).
    """
    client = client_for(practice)
    seen = new = 0
    events = client.v1.events.list(params={"created": {"gte": int(since.timestamp())}, "limit": 100})
    for event in events.auto_paging_iter():
        seen += 1
        if event["type"] not in PAYMENT_EVENTS | REFUND_EVENTS:
            continue
        data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        stored, created = store_event(practice, data, queue=False)
        new += created
        if stored.processed_at is None:
            process_event(stored.pk)
    redrive(practice=practice, older_than=timedelta(0), limit=None)
    return seen, new
