"""The one module of sessions_app that imports billing: the documented exception
to the layering practice ← notifications ← sessions_app ← billing.

Billing builds on sessions (its ledger lines and payments point at sessions and
participants), so sessions may not reach into billing anywhere else. Three
things a session does need from billing go through here: saving a session
posts (or reverses) its money, a participant may be asked to pay, and an
invitation carries the payment link. ``tests/test_layering.py`` names this file.
"""
from decimal import Decimal

from django.db.models import Sum

from billing import booking_payments, ledger, packages, payments


def amount(value, currency: str) -> Decimal:
    """Round to the currency's minor unit: the ledger's one rounding rule."""
    return ledger.money(value, currency)


def decimal_places(currency: str) -> int:
    """Digits after the point in ``currency`` (2 for USD, 0 for JPY)."""
    return ledger.MINOR_UNITS.get(currency.upper(), 2)


def post_outcome(*, session, participant, actor, client_amount: Decimal, practitioner_amount: Decimal, label: str,
                 service_date):
    """Write the client charge and the practitioner wage of one saved client participant."""
    return ledger.post_outcome(session=session, participant=participant, actor=actor, client_amount=client_amount,
                               practitioner_amount=practitioner_amount, label=label, service_date=service_date)


def reverse_outcome(*, participant, actor) -> int:
    """Reverse the charge and wage of an earlier save (payments stay); returns how many lines."""
    return ledger.reverse_outcome(participant=participant, actor=actor)


def outcome_lines(*, session, participant, actor, client_amount: Decimal, practitioner_amount: Decimal, label: str,
                  service_date) -> list:
    """The (unsaved) charge and wage ``post_outcome`` writes, for a batch written with ``post_lines``."""
    return ledger.outcome_lines(session=session, participant=participant, actor=actor, client_amount=client_amount,
                                practitioner_amount=practitioner_amount, label=label, service_date=service_date)


def post_lines(lines: list) -> list:
    """Write a batch of ``outcome_lines`` in one INSERT."""
    return ledger.post_lines(lines)


def reverse_outcomes(*, participants, actor) -> int:
    """``reverse_outcome`` for many participants at once (one read, one INSERT)."""
    return ledger.reverse_outcomes(participants=participants, actor=actor)


def set_payment_terms(participant, *, service, amount: Decimal | None) -> None:
    """Require ``amount`` for ``service`` from the participant, or nothing when amount is None."""
    payments.set_terms(participant, service=service, amount=amount)


def payment_request(participant):
    """The participant's payment request in any state, or None."""
    return payments.request_of(participant)


def payment_due(participant):
    """The participant's open payment request, or None."""
    return payments.due_request(participant)


def payment_link(participant) -> str:
    """The signed payment page for an open payment request, or ''."""
    return payments.payment_url(participant) if payments.due_request(participant) else ""


def client_balance(practice, client) -> Decimal:
    """What a client user's account in ``practice`` comes to (the portal home shows it)."""
    total = ledger.client_account(practice, client=client).aggregate(total=Sum("amount"))["total"]
    return amount(total or 0, practice.currency)


# Packages and payment at booking (the client portal).

def usable_packages(practice, client, *, service=None, now=None):
    """The client's packages that can be booked from now (each with ``used``), soonest to expire first."""
    return packages.usable_packages(practice, client, service=service, now=now)


def redeem_package(*, practice, client, client_package_id, session, participant, service, now=None):
    """Use one credit of the package for the session, in the booking's transaction (DomainError if none)."""
    return packages.redeem(practice=practice, client=client, client_package_id=client_package_id, session=session,
                           participant=participant, service=service, now=now)


def return_package_credit(*, session, reason: str) -> int:
    """The session's package credit comes back (a cancel outside the policy window, a decline)."""
    return packages.return_credit(session=session, reason=reason)


def package_redemption(session):
    return packages.redemption_of(session)


def booking_checkout(participant, *, capture_manual: bool, hold_until) -> str:
    """Stripe Checkout for the participant's payment at booking; the URL to send the client to."""
    return booking_payments.start_booking_checkout(participant, capture_manual=capture_manual, hold_until=hold_until)


def capture_booking_payment(session) -> None:
    """The practitioner confirmed: capture the payment authorised at booking, if any."""
    booking_payments.capture_for(session)


def release_booking_payment(session, *, reason: str) -> None:
    """Declined, canceled or the hold expired: cancel or refund what was taken at booking, if any."""
    booking_payments.release_for(session, reason=reason)


# The portal's Packages section.

def client_packages(practice, client):
    """Every package of the client in ``practice``, newest first, each with ``used``, ``left``, ``status``,
    ``usable`` (can be booked from now), ``awaiting`` (waiting for its payment) and ``valid_days``."""
    return packages.client_packages(practice, client)


def own_package(membership, pk):
    """One of the client's own packages in the membership's practice; anyone else's id answers 404."""
    return packages.own_package(membership, pk)


def package_checkout(client_package) -> str:
    """Stripe Checkout for a package awaiting payment; the URL to send the client to (DomainError if
    nothing is due or Stripe cannot be reached)."""
    return packages.start_package_checkout(client_package)
