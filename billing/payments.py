"""Stripe payments: Checkout for a participant, webhooks stored once and processed
idempotently (in any order), refunds recorded from Stripe's events, reconciliation.

Money recorded here always comes from Stripe's signed events, never from a
browser redirect or a button click.
"""
import logging
import zoneinfo
from decimal import Decimal

import stripe
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing import ledger, messages
from billing.models import EntryKind, Payment, PaymentRequest, PaymentState, Refund, StripeEvent
from practice.errors import DomainError
from practice.errors import NotConfigured as NotConfiguredError
from sessions_app.models import Participant

log = logging.getLogger(__name__)
PAYMENT_EVENTS = {"checkout.session.completed", "payment_intent.succeeded"}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated"}
TOKEN_SALT = "participant-payment"


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


def due_request(participant) -> PaymentRequest | None:
    """The participant's payment request while it is still to be paid, else None."""
    request = request_of(participant)
    return request if request is not None and request.is_due else None


def payment_token(participant) -> str:
    return signing.dumps({"participant": participant.pk}, salt=TOKEN_SALT)


def participant_for_token(token):
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=60 * 60 * 24 * 120)
    except signing.BadSignature:
        return None
    return (Participant.objects.select_related("session__practice", "session__practitioner", "payment_request__service")
            .filter(pk=data.get("participant")).first())


def payment_url(participant) -> str:
    return settings.SITE_URL + reverse("billing:pay", args=[payment_token(participant)])


def start_checkout(participant) -> str:
    """Create a Checkout Session for exactly the required amount; return Stripe's page URL."""
    session = participant.session
    practice = session.practice
    request = due_request(participant)
    if request is None:
        raise DomainError("No payment is due for this participant.", code="nothing_due")
    token = payment_token(participant)
    metadata = {"practice_id": str(practice.pk), "participant_id": str(participant.pk), "session_id": str(session.pk)}
    name = request.service.name if request.service_id else "Session"
    checkout = client_for(practice).v1.checkout.sessions.create(params={
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
    })
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


def store_event(practice, event: dict) -> tuple[StripeEvent, bool]:
    """Store a verified event once by its id; queue its processing on commit."""
    from billing.tasks import process_stripe_event

    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event["id"], practice=practice, type=event["type"], payload=event)
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"]), False
    transaction.on_commit(lambda: process_stripe_event.delay(stored.pk))
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
    payment, created = Payment.objects.get_or_create(
        payment_intent=intent,
        defaults={"practice_id": event.practice_id, "participant": participant, "amount": amount, "currency": currency},
    )
    if not created:
        return "payment already recorded"
    ledger.write(
        practice_id=event.practice_id, kind=EntryKind.PAYMENT, amount=-amount, currency=currency,
        label=f"Card payment {intent}"[:120], practitioner=participant.session.practitioner, session=participant.session,
        participant=participant, service_date=_practice_day(participant.session), **ledger.client_fields(participant),
    )
    request, _ = PaymentRequest.objects.select_for_update().get_or_create(
        participant=participant, defaults={"practice_id": event.practice_id, "amount": amount})
    request.paid_amount += amount
    request.state = PaymentState.PAID
    request.save(update_fields=["paid_amount", "state"])
    messages.payment_received(payment)
    # Refunds that arrived before this payment can be applied now.
    for waiting in StripeEvent.objects.select_for_update().filter(processed_at__isnull=True, type__in=REFUND_EVENTS).exclude(pk=event.pk):
        if waiting.payload["data"]["object"].get("payment_intent") == intent:
            _finish(waiting, _record_refunds(waiting, waiting.payload["data"]["object"]))
    return "payment recorded"


def _practice_day(session):
    return session.start.astimezone(zoneinfo.ZoneInfo(session.practice.time_zone)).date()


def _record_refunds(event, obj):
    intent = obj.get("payment_intent")
    payment = Payment.objects.select_for_update().select_related("participant__session").filter(
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
        ledger.write(
            practice_id=payment.practice_id, kind=EntryKind.REFUND, amount=amount, currency=payment.currency,
            label=f"Refund {refund['id']}"[:120], practitioner=participant.session.practitioner, session=participant.session,
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
    if outcome is None:
        event.outcome = "waiting for the payment"
        event.save(update_fields=["outcome"])
        return event.outcome
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


def reconcile(practice, *, since) -> tuple[int, int]:
    """After an outage: fetch Stripe's events since ``since`` and process those we never received."""
    client = client_for(practice)
    seen = new = 0
    events = client.v1.events.list(params={"created": {"gte": int(since.timestamp())}, "limit": 100})
    for event in events.auto_paging_iter():
        seen += 1
        if event["type"] not in PAYMENT_EVENTS | REFUND_EVENTS:
            continue
        data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        with transaction.atomic():
            stored, created = store_event(practice, data)
        new += created
    return seen, new
