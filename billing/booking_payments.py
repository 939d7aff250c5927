"""Payment at booking: Stripe Checkout for a portal booking that holds its slot meanwhile.

``booking.book`` writes the session as *payment pending* with a 15-minute hold and the client's
payment request; ``start_booking_checkout`` opens the Checkout Session for it (a ``BookingCheckout``
row keeps its id). Where the practitioner confirms requests the card is authorised only
(``capture_method=manual``) and captured on confirmation (``capture_for``); a decline, the client's
cancel, or an authorisation about to lapse cancels it (``release_for``).

Money comes from Stripe's answers only: the signed ``checkout.session.completed`` event
(``checkout_completed``, through the stored, idempotent webhook path), Stripe's answer to a capture,
or the Checkout Session read back from Stripe. A completed Checkout whose hold is gone never
revives the booking (its slot may be someone else's by then): the authorisation is canceled or the
payment refunded. The beat task (``run_beat``) ends expired holds (expiring their Checkout through
the API first), lapses old authorisations, and retries releases Stripe refused to do earlier.

Locks are taken session first, then its ``BookingCheckout`` row, everywhere (the booking flow,
the webhook, the beat), so none of them can deadlock another.
"""
import logging
import zoneinfo
from collections import Counter
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import BookingCheckout, BookingCheckoutState
from practice.errors import DomainError
from sessions_app.models import BookingState, Participant, Session, SessionStatus

# Imported where used, not at module level: ``billing.payments`` dispatches booking Checkouts here, and
# ``sessions_app.booking`` reaches this module through ``sessions_app.money``.
log = logging.getLogger(__name__)
State = BookingCheckoutState
# Stripe refuses a Checkout Session that expires less than 30 minutes after it was created; the
# minute on top covers the way there. The hold itself is shorter: the beat task expires the
# Checkout Session through the API when the hold ends.
CHECKOUT_LIFETIME = timedelta(minutes=31)
# Card authorisations lapse after 7 days; a request still unconfirmed after 6 is declined.
LAPSE_AFTER = timedelta(days=6)
LAPSED_MESSAGE = "Your payment authorisation ran out before the practitioner confirmed."
BATCH = 50
NOT_HELD = "This booking is no longer held for payment. Book the time again."
SETTLED = (State.AUTHORISED, State.PAID, State.CANCELED, State.REFUNDED)


def _client(practice):
    from billing import payments

    return payments.client_for(practice)


def _id(value) -> str:
    """A Stripe reference that may come expanded (a dict) or as its id."""
    return (value.get("id") or "") if isinstance(value, dict) else (value or "")


def _reason(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "Stripe could not be reached. Try again in a moment."
    return error.user_message or "Stripe refused it."


# --- Checkout ------------------------------------------------------------------------------------

@transaction.atomic
def start_booking_checkout(participant, *, capture_manual: bool, hold_until=None) -> str:
    """Open the Stripe Checkout Session for a payment-pending booking's payment request and return its
    URL. Called again while it is open (the client's "Pay now"), it returns the same page.

    Refuses (DomainError, nothing written) a booking that is no longer held, one whose payment is
    done, and a Stripe failure."""
    from billing import payments

    session = Session.objects.select_for_update().get(pk=participant.session_id)
    now = timezone.now()
    hold_until = hold_until or session.hold_expires_at
    if not session.is_payment_pending or (hold_until and hold_until <= now):
        raise DomainError(NOT_HELD, code="not_held")
    existing = BookingCheckout.objects.filter(session=session).first()
    if existing is not None:
        if existing.state == State.OPEN and existing.url:
            return existing.url
        raise DomainError("This booking's payment is already made.", code="checkout_done")
    participant = (Participant.objects.select_related("session__practice", "session__practitioner", "payment_request__service")
                   .get(pk=participant.pk, session=session))
    request = payments.due_request(participant)
    if request is None:
        raise DomainError("No payment is due for this booking.", code="nothing_due")
    practice = session.practice
    # ``site`` tells this installation's Checkouts from those of another one on the same Stripe account.
    metadata = {"booking_hold": "1", "practice_id": str(practice.pk), "participant_id": str(participant.pk),
                "session_id": str(session.pk), "site": settings.SITE_URL}
    intent_data = {"metadata": metadata}
    if capture_manual:
        intent_data["capture_method"] = "manual"
    name = request.service.name if request.service_id else "Session"
    page = settings.SITE_URL + reverse("portal:booking", args=[session.pk])
    params = {
        "mode": "payment",
        "payment_method_types": ["card"],  # paid or authorised at once: no delayed methods for a held slot
        "line_items": [{"quantity": 1, "price_data": {
            "currency": practice.currency.lower(), "unit_amount": payments.to_minor(request.amount, practice.currency),
            "product_data": {"name": f"{name} with {session.practitioner}"}}}],
        "metadata": metadata,
        "payment_intent_data": intent_data,
        "client_reference_id": str(participant.pk),
        "customer_email": participant.email or None,
        "expires_at": int((now + CHECKOUT_LIFETIME).timestamp()),
        "success_url": page + "?paid=1",
        "cancel_url": page,
    }
    if hold_until:
        params["custom_text"] = {"submit": {"message": _hold_text(hold_until, participant.time_zone or practice.time_zone)}}
    try:
        checkout = _client(practice).v1.checkout.sessions.create(params=params)
    except stripe.StripeError as error:
        log.warning("Checkout for booking %s could not be opened: %s", session.pk, error)
        raise DomainError(f"The payment page could not be opened: {_reason(error)}", code="stripe") from error
    BookingCheckout.objects.create(
        practice=practice, session=session, participant=participant, checkout_session_id=checkout.id, url=checkout.url or "",
        amount=request.amount, currency=practice.currency, capture_manual=capture_manual)
    return checkout.url


def _hold_text(hold_until, zone_name) -> str:
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = hold_until.astimezone(zone)
    return f"Your time is held until {local:%-I:%M %p} {local:%Z}; after that it is released."


def checkout_of(session) -> BookingCheckout | None:
    return BookingCheckout.objects.filter(session=session).first()


# --- Stripe's answer: the Checkout completed ------------------------------------------------------

def checkout_completed(event, obj) -> str:
    """``checkout.session.completed`` of a booking's Checkout (``booking_hold`` in its metadata), in the
    transaction that processes the stored event. Idempotent: a Checkout settled before is left alone."""
    metadata = obj.get("metadata") or {}
    if str(metadata.get("practice_id")) != str(event.practice_id):
        log.warning("Stripe event %s names practice %s, it came for %s: ignored", event.event_id,
                    metadata.get("practice_id"), event.practice_id)
        return "ignored: checkout of another practice"
    found = BookingCheckout.objects.filter(checkout_session_id=obj.get("id") or "", practice_id=event.practice_id)
    session_id = found.values_list("session_id", flat=True).first()
    if session_id is None:
        return _release_unknown(event, obj)
    session = Session.objects.select_for_update().get(pk=session_id)  # the session first, as everywhere
    checkout = found.select_for_update(of=("self",)).select_related("practice").get()
    if checkout.state in SETTLED:
        return f"booking checkout already {checkout.get_state_display().lower()}"
    return _settle(checkout, obj, session=session, event=event)


def _settle(checkout: BookingCheckout, obj: dict, *, session: Session, event=None) -> str:
    """A completed Checkout Session (its event, or read back from Stripe), both rows locked: the booking
    gets the payment while its hold lasts; otherwise the authorisation is canceled or the payment
    refunded, and the session stays as it is."""
    from billing import payments
    from sessions_app import booking

    intent = _id(obj.get("payment_intent"))
    status = obj.get("payment_intent").get("status") if isinstance(obj.get("payment_intent"), dict) else None
    paid = obj.get("payment_status") == "paid"
    authorised = (checkout.capture_manual and obj.get("payment_status") == "unpaid" and bool(intent)
                  and status in (None, "requires_capture"))
    if not (paid or authorised):
        return "booking checkout not paid yet"
    practice = checkout.practice
    participant = Participant.objects.select_related("session__practice", "session__practitioner").get(pk=checkout.participant_id)
    amount = payments.from_minor(obj["amount_total"], practice.currency) if obj.get("amount_total") else checkout.amount
    label = payments.payment_label(event, obj, practice)
    checkout.payment_intent = intent
    checkout.release_reason = ""
    if session.is_payment_pending:
        if paid:
            # Recorded before the booking is confirmed, so the invitation asks for nothing more.
            payments.record_payment(event=event, participant=participant, intent=intent, amount=amount, label=label)
            checkout.state = State.PAID
        else:
            checkout.state, checkout.authorised_at = State.AUTHORISED, timezone.now()
        checkout.save()
        booking.payment_received(session=session, authorised_only=authorised)
        return "booking paid: session confirmed" if paid else "payment authorised: request waiting for the practitioner"
    # The hold is gone (expired, canceled): the slot may be someone else's. Never revive the session.
    client = _client(practice)
    if paid:
        # Recorded (the money did move) so that Stripe's refund events have a payment to apply to.
        payments.record_payment(event=event, participant=participant, intent=intent, amount=amount, label=label, notify=False)
        _refund(client, intent, session)
        checkout.state = State.REFUNDED
        outcome = "hold had expired: payment refunded"
    else:
        checkout.state = _cancel_intent(client, intent, session)
        outcome = ("hold had expired: authorisation canceled" if checkout.state == State.CANCELED
                   else "hold had expired: payment refunded")
    checkout.save()
    log.info("Booking %s: a Checkout completed after its hold (%s)", session.pk, outcome)
    return outcome


def _release_unknown(event, obj) -> str:
    """A booking Checkout of this site with no row here (the booking that opened it was never saved):
    there is nothing to book, so the money goes back. One of another installation sharing the Stripe
    account (Stripe sends every endpoint all events) is none of ours: left alone."""
    intent = _id(obj.get("payment_intent"))
    if (obj.get("metadata") or {}).get("site") != settings.SITE_URL:
        log.warning("Stripe event %s: booking Checkout %s is not one of this site's: ignored", event.event_id, obj.get("id"))
        return "ignored: booking checkout of another site"
    if not intent or obj.get("payment_status") not in ("paid", "unpaid"):
        log.error("Stripe event %s: booking Checkout %s has no booking here", event.event_id, obj.get("id"))
        return "ignored: unknown booking checkout"
    client = _client(event.practice)
    if obj.get("payment_status") == "paid":
        _refund(client, intent, None)
        return "no booking for this checkout: payment refunded"
    state = _cancel_intent(client, intent, None)
    return "no booking for this checkout: " + ("authorisation canceled" if state == State.CANCELED else "payment refunded")


# --- Stripe calls (each safe to repeat) ----------------------------------------------------------

def _refund(client, intent: str, session) -> None:
    """Refund what is left of the payment; Stripe's refund events record it in the ledger."""
    params = {"payment_intent": intent, "metadata": {"booking_hold": "1", "session_id": str(session.pk if session else "")}}
    try:
        client.v1.refunds.create(params=params)
    except stripe.InvalidRequestError as error:
        if error.code != "charge_already_refunded":
            raise


def _cancel_intent(client, intent: str, session) -> str:
    """Cancel an authorisation; the state it ends in (a payment captured meanwhile is refunded instead)."""
    try:
        client.v1.payment_intents.cancel(intent, params={"cancellation_reason": "abandoned"})
        return State.CANCELED
    except stripe.InvalidRequestError as error:
        if error.code != "payment_intent_unexpected_state":
            raise
    status = client.v1.payment_intents.retrieve(intent).status
    if status == "canceled":
        return State.CANCELED
    if status == "succeeded":
        _refund(client, intent, session)
        return State.REFUNDED
    raise DomainError(f"The payment authorisation could not be canceled (it is {status}).", code="cancel_failed")


def _capture(client, intent: str):
    """Capture an authorisation; one captured already (an earlier confirm whose transaction did not
    commit) is read back instead. Explicit idempotency keys are not used: Stripe would replay a
    failure under the same key for a day, and each of these calls fails harmlessly when repeated."""
    params = {"expand": ["latest_charge"]}
    try:
        return client.v1.payment_intents.capture(intent, params=params)
    except stripe.InvalidRequestError as error:
        if error.code != "payment_intent_unexpected_state":
            raise
        answer = client.v1.payment_intents.retrieve(intent, params=params)
        if answer.status != "succeeded":
            raise
        return answer


def _expire_checkout(client, checkout: BookingCheckout) -> tuple[str, dict]:
    """Expire an open Checkout Session; (its status after that, the session as Stripe has it).
    A session that completed first is "complete"; one that expired by itself, "expired"."""
    try:
        answer = client.v1.checkout.sessions.expire(checkout.checkout_session_id)
    except stripe.InvalidRequestError:
        answer = client.v1.checkout.sessions.retrieve(checkout.checkout_session_id)
        if answer.status == "open":
            raise
    return answer.status, answer.to_dict()


# --- Confirm, decline, cancel ---------------------------------------------------------------------

def capture_for(session) -> None:
    """The practitioner confirms a request paid by an authorisation: capture it (in the confirm's
    transaction; a refusal from Stripe is a DomainError, so the confirm writes nothing). The payment
    is recorded from Stripe's answer; its ``payment_intent.succeeded`` event finds it recorded."""
    from billing import payments

    checkout = BookingCheckout.objects.select_for_update(of=("self",)).select_related("practice").filter(session=session).first()
    if checkout is None or checkout.state == State.PAID:
        return
    if checkout.state != State.AUTHORISED:
        raise DomainError("This booking's payment is not authorised any more: decline the request.", code="not_authorised")
    practice = checkout.practice
    try:
        intent = _capture(_client(practice), checkout.payment_intent)
    except stripe.StripeError as error:
        log.warning("Capture of %s for booking %s refused: %s", checkout.payment_intent, session.pk, error)
        raise DomainError(f"The payment could not be captured: {_reason(error)}", code="capture_failed") from error
    checkout.state = State.PAID
    checkout.save(update_fields=["state", "updated_at"])
    data = intent.to_dict()
    if data.get("status") == "succeeded":
        participant = Participant.objects.select_related("session__practice", "session__practitioner").get(pk=checkout.participant_id)
        payments.record_payment(event=None, participant=participant, intent=checkout.payment_intent,
                                amount=payments.from_minor(data.get("amount_received") or data["amount"], practice.currency),
                                label=payments.payment_label(None, data, practice))


def release_for(session, *, reason: str) -> None:
    """The booking was declined, canceled or its hold ended: expire its open Checkout Session, cancel
    its authorisation, or refund its payment. Nothing when it has no payment at booking.

    Called in the caller's transaction with the session locked. Stripe being unreachable does not
    stop the decline or cancel: the release is marked owed and the beat task tries it again."""
    checkout = BookingCheckout.objects.select_for_update(of=("self",)).select_related("practice").filter(session=session).first()
    if checkout is not None:
        _release(checkout, session=session, reason=reason)


def _release(checkout: BookingCheckout, *, session, reason: str) -> str:
    try:
        outcome = _release_now(checkout, session=session)
    except (stripe.StripeError, DomainError) as error:
        log.warning("Booking %s: releasing its payment (%s) failed, tried again later: %s", session.pk, reason, error)
        checkout.release_reason = reason[:120]
        checkout.save(update_fields=["release_reason", "updated_at"])
        return "release failed: tried again later"
    if checkout.release_reason:
        checkout.release_reason = ""
        checkout.save(update_fields=["release_reason", "updated_at"])
    return outcome


def _release_now(checkout: BookingCheckout, *, session) -> str:
    client = _client(checkout.practice)
    if checkout.state == State.OPEN:
        status, answer = _expire_checkout(client, checkout)
        if status == "complete":  # paid just before: settled now, and released since the booking is not held
            session.refresh_from_db()
            return _settle(checkout, answer, session=session)
        checkout.state, checkout.url = State.EXPIRED, ""
        checkout.save(update_fields=["state", "url", "updated_at"])
        return "checkout expired"
    if checkout.state == State.AUTHORISED:
        checkout.state = _cancel_intent(client, checkout.payment_intent, session)
        checkout.save(update_fields=["state", "updated_at"])
        return "authorisation canceled"
    if checkout.state == State.PAID:
        _refund(client, checkout.payment_intent, session)
        checkout.state = State.REFUNDED
        checkout.save(update_fields=["state", "updated_at"])
        return "refund requested"
    return "nothing to release"


# --- The beat task --------------------------------------------------------------------------------

def run_beat(*, now=None, limit=BATCH) -> dict:
    """Every minute: end expired holds, lapse old authorisations, retry owed releases. Each booking in
    its own transaction; one that fails (Stripe down) is logged and tried again next time."""
    now = now or timezone.now()
    return {"holds": expire_holds(now=now, limit=limit), "lapsed": lapse_authorisations(now=now, limit=limit),
            "released": retry_releases(limit=limit)}


def _each(pks, work) -> dict:
    outcomes = Counter()
    for pk in pks:
        try:
            with transaction.atomic():
                outcome = work(pk)
        except Exception:  # one booking must not hold up the others; it is tried again next minute
            log.exception("Payment at booking: session %s could not be handled", pk)
            outcome = "error"
        outcomes[outcome] += 1
    return dict(outcomes)


def _claim(pk, **still):
    """The session row, locked, if no one else holds it and it still is as the query found it."""
    return Session.objects.select_for_update(skip_locked=True).filter(pk=pk, **still).first()


def expire_holds(*, now=None, limit=BATCH) -> dict:
    """Holds whose time is up (the ``session_payment_holds`` partial index): the Checkout Session is
    expired through the API, then the slot is freed. A Checkout that Stripe says completed first is
    settled instead (the payment came in time; its event is merely late). Stripe unreachable: the slot
    is freed all the same and the Checkout's expiry is owed (a late payment is refunded)."""
    now = now or timezone.now()
    held = dict(booking_state=BookingState.PAYMENT_PENDING, status=SessionStatus.SCHEDULED, hold_expires_at__lte=now)
    pks = list(Session.objects.filter(**held).order_by("hold_expires_at").values_list("pk", flat=True)[:limit])

    def expire(pk):
        from sessions_app import booking

        session = _claim(pk, **held)
        if session is None:
            return "skipped"
        checkout = BookingCheckout.objects.select_for_update(of=("self",)).select_related("practice").filter(session=session).first()
        if checkout is not None and checkout.state == State.OPEN:
            try:
                status, answer = _expire_checkout(_client(checkout.practice), checkout)
            except (stripe.StripeError, DomainError) as error:
                log.warning("Booking %s: its Checkout could not be expired (%s); the hold ends all the same", pk, error)
                checkout.release_reason = "hold expired"
                checkout.save(update_fields=["release_reason", "updated_at"])
            else:
                if status == "complete":
                    return _settle(checkout, answer, session=session)
                checkout.state, checkout.url = State.EXPIRED, ""
                checkout.save(update_fields=["state", "url", "updated_at"])
        booking.expire_hold(session=session, now=now)
        return "hold expired"

    return _each(pks, expire)


def lapse_authorisations(*, now=None, limit=BATCH) -> dict:
    """Authorisations of 6 days or more (cards lapse at 7): a request still waiting is declined (its
    authorisation canceled, the client told); one on a session canceled meanwhile is canceled. Those on
    a canceled session are released at once, without waiting the 6 days."""
    now = now or timezone.now()
    authorised = BookingCheckout.objects.filter(state=State.AUTHORISED)
    pks = list(authorised.filter(authorised_at__lte=now - LAPSE_AFTER).values_list("session_id", flat=True)[:limit])
    pks += list(authorised.filter(session__status=SessionStatus.CANCELED).exclude(session_id__in=pks)
                .values_list("session_id", flat=True)[:limit])

    def lapse(pk):
        from sessions_app import booking

        session = _claim(pk)
        if session is None:
            return "skipped"
        checkout = BookingCheckout.objects.select_for_update(of=("self",)).select_related("practice").get(session=session)
        if checkout.state != State.AUTHORISED:
            return "skipped"
        if session.is_requested:
            booking.decline_request(practice=session.practice, actor=None, session=session, message=LAPSED_MESSAGE)
            return "request declined"
        if session.status == SessionStatus.CANCELED:
            return _release(checkout, session=session, reason="session canceled")
        log.warning("Booking %s is %s with an authorisation still uncaptured", pk, session.booking_state)
        return "left alone"

    return _each(pks, lapse)


def retry_releases(*, limit=BATCH) -> dict:
    """Releases Stripe could not do earlier (``release_reason`` set)."""
    owed = BookingCheckout.objects.exclude(release_reason="").filter(state__in=[State.OPEN, State.AUTHORISED, State.PAID])
    pks = list(owed.order_by("updated_at").values_list("session_id", flat=True)[:limit])

    def retry(pk):
        session = _claim(pk)
        if session is None:
            return "skipped"
        checkout = BookingCheckout.objects.select_for_update(of=("self",)).select_related("practice").get(session=session)
        if not checkout.release_reason or checkout.state not in (State.OPEN, State.AUTHORISED, State.PAID):
            return "skipped"
        if session.status != SessionStatus.CANCELED:
            return "skipped"  # owed for a declined, canceled or expired booking only: never a live one's payment
        return _release(checkout, session=session, reason=checkout.release_reason)

    return _each(pks, retry)
