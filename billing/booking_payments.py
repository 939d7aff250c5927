"""Payment at booking: Stripe Checkout for a portal booking that holds its slot meanwhile.

Interface used by ``sessions_app.money`` (filled in by the payment-at-booking work):
- ``start_booking_checkout(participant, *, capture_manual, hold_until) -> str``: the Checkout URL.
- ``capture_for(session)``: on the practitioner's confirmation, capture an authorised payment.
- ``release_for(session, *, reason)``: on decline, cancel or an expired hold, cancel the
  authorisation, or refund what was paid, and expire an open Checkout Session.
"""
from billing.models import PaymentRequest


def start_booking_checkout(participant, *, capture_manual: bool, hold_until) -> str:
    raise NotImplementedError("payment at booking is being built")


def _has_payment(session) -> bool:
    return PaymentRequest.objects.filter(participant__session=session).exists()


def capture_for(session) -> None:
    if _has_payment(session):
        raise NotImplementedError("payment at booking is being built")


def release_for(session, *, reason: str) -> None:
    if _has_payment(session):
        raise NotImplementedError("payment at booking is being built")


def checkout_completed(event, obj) -> str:
    """``checkout.session.completed`` of a booking's Checkout (``booking_hold`` in its metadata)."""
    raise NotImplementedError("payment at booking is being built")
