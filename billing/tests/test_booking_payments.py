"""Payment at booking (issue 14): a paying service's booking holds its slot while the client is on
Stripe Checkout; the card is authorised (practitioner confirms) or paid; capture on confirm, cancel on
decline or before the authorisation lapses; an expired hold frees the slot by itself (beat task), and
a Checkout completing after that is refunded or canceled, never a second booking.

Stripe is the loopback stub (the real SDK on loopback); webhooks are signed with the SDK and posted to
the real webhook view. The clock stands still on Monday 7 January 2030, 08:00 in New York.
"""
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import stripe
import time_machine
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse

from billing import tasks
from billing.models import BookingCheckout, BookingCheckoutState, EntryKind, LedgerEntry, Payment, PaymentState, StripeEvent
from billing.stripe_stub import StripeStub, event
from notifications.models import Notification, NotificationKind
from practice.errors import DomainError
from practice.forms import STRIPE_NEEDED
from practice.models import Role
from practice.tests.factories import MembershipFactory, UserFactory
from sessions_app import booking, money
from sessions_app.models import BookingState, Session, SessionStatus
from sessions_app.tests.portal_helpers import make_bookable

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=NY)
TEN = datetime(2030, 1, 9, 10, 0, tzinfo=NY)
SECRET = "whsec_booking_test"
CAPTURE = r"/v1/payment_intents/[^/]+/capture"
CANCEL = r"/v1/payment_intents/[^/]+/cancel"
EXPIRE = r"/v1/checkout/sessions/[^/]+/expire"
REFUNDS = r"/v1/refunds"
CREATE = r"/v1/checkout/sessions"
SLOT_TAKEN = "That time was just taken"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def stub(settings):
    server = StripeStub()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


def set_up(world, *, confirmation=True, how="full", deposit=None):
    service = make_bookable(world.home, confirmation=confirmation)
    service.payment_at_booking, service.deposit_amount = how, deposit
    service.save()
    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", SECRET
    practice.save()
    return service


@pytest.fixture
def service(world, stub):
    """Full price (150.00) at booking, the practitioner confirms requests."""
    return set_up(world)


def another_client(world, name="Morgan"):
    user = UserFactory(first_name=name, last_name="Quill")
    MembershipFactory(user=user, practice=world.home.practice, role=Role.CLIENT)
    return user


def book(world, service, start=TEN, user=None) -> Session:
    user = user or world.home.client
    membership = user.memberships.get(practice=world.home.practice)
    return booking.book(membership=membership, data=booking.BookingData(
        service=service, delivery_method="video", practitioner=world.home.practitioner, start=start,
        time_zone="America/New_York"))


def open_checkout(session) -> str:
    """What Confirm & book does after ``book``: the Checkout page for the held booking."""
    return money.booking_checkout(session.participants.get(), capture_manual=session.practice.booking_requires_confirmation,
                                  hold_until=session.hold_expires_at)


def checkout_id(url) -> str:
    return url.rsplit("/", 1)[1]


def post(client, evt):
    """Sign with the SDK and post to the real webhook view; the stored event is processed on commit."""
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("billing:stripe_webhook", args=["home"]), payload, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 200
    return StripeEvent.objects.get(event_id=evt["id"])


def pay(client, stub, url, *, late=False):
    """The client pays on Stripe's page, and Stripe sends checkout.session.completed."""
    completed = event("checkout.session.completed", stub.complete_checkout(checkout_id(url), late=late))
    return completed, post(client, completed)


def beat():
    with TestCase.captureOnCommitCallbacks(execute=True):
        return tasks.expire_booking_holds()


def live_sessions_at(world, start):
    return Session.objects.filter(practitioner=world.home.practitioner, start=start, status=SessionStatus.SCHEDULED)


def client_messages(session):
    return Notification.objects.filter(session=session, participant__isnull=False)


# --- Booking a paying service ------------------------------------------------------------------------

@pytest.mark.parametrize("confirmation", [True, False])
@pytest.mark.parametrize("how, deposit, minor", [("full", None, "15000"), ("deposit", Decimal("40.00"), "4000")])
def test_booking_a_paying_service_holds_the_slot_and_opens_checkout_for_the_amount(world, stub, confirmation, how, deposit, minor):
    service = set_up(world, confirmation=confirmation, how=how, deposit=deposit)
    session = book(world, service)
    assert session.booking_state == BookingState.PAYMENT_PENDING and session.status == SessionStatus.SCHEDULED
    assert session.hold_expires_at == NOW + timedelta(minutes=15)
    with pytest.raises(DomainError, match=SLOT_TAKEN):
        book(world, service, user=another_client(world))

    url = open_checkout(session)
    [created] = stub.calls(CREATE)
    body = created["body"]
    price = body["line_items"]["0"]["price_data"]
    assert (price["unit_amount"], price["currency"]) == (minor, "usd")
    metadata = {"booking_hold": "1", "practice_id": str(world.home.practice.pk),
                "participant_id": str(session.participants.get().pk), "session_id": str(session.pk),
                "site": "https://practice.example.com"}
    assert body["metadata"] == metadata and body["payment_intent_data"]["metadata"] == metadata
    assert body["payment_intent_data"].get("capture_method") == ("manual" if confirmation else None)
    expires = datetime.fromtimestamp(int(body["expires_at"]), tz=NY)
    assert NOW + timedelta(minutes=30) <= expires <= NOW + timedelta(minutes=32)  # Stripe's minimum, not the hold
    assert body["success_url"] == f"https://practice.example.com/my/bookings/{session.pk}/?paid=1"
    assert body["cancel_url"] == f"https://practice.example.com/my/bookings/{session.pk}/"
    assert created["auth"] == "Bearer sk_test_practice"
    row = BookingCheckout.objects.get(session=session)
    assert (row.checkout_session_id, row.state, row.capture_manual) == (checkout_id(url), BookingCheckoutState.OPEN, confirmation)
    assert row.amount == Decimal(minor) / 100

    assert open_checkout(session) == url and len(stub.calls(CREATE)) == 1  # "Pay now" again: the same page
    assert not client_messages(session).exists()  # unannounced until paid


def test_a_service_without_payment_or_a_practice_without_stripe_books_as_before(world, stub):
    service = set_up(world, how="none")
    assert book(world, service).booking_state == BookingState.REQUESTED
    service.payment_at_booking = "full"
    service.save()
    practice = world.home.practice
    practice.stripe_secret_key = practice.stripe_webhook_secret = ""
    practice.save()
    assert book(world, service, start=TEN + timedelta(hours=2)).booking_state == BookingState.REQUESTED
    assert not stub.requests


def test_no_checkout_for_a_booking_no_longer_held(world, service, stub, clock):
    session = book(world, service)
    clock.shift(timedelta(minutes=16))
    with pytest.raises(DomainError, match="no longer held"):
        open_checkout(session)
    assert not stub.calls(CREATE)


def test_stripe_refusing_the_checkout_is_a_plain_error_and_the_hold_stays(world, service, stub):
    stub.fail_paths[CREATE] = (400, {"error": {"type": "invalid_request_error", "message": "Invalid currency: usd."}})
    session = book(world, service)
    with pytest.raises(DomainError, match="The payment page could not be opened: Invalid currency"):
        open_checkout(session)
    assert not BookingCheckout.objects.exists()
    session.refresh_from_db()
    assert session.is_payment_pending


# --- Confirmation on: authorise, capture on confirm -----------------------------------------------------

def test_authorised_at_booking_captured_once_on_confirm_and_recorded_once(client, world, service, stub):
    session = book(world, service)
    completed, stored = pay(client, stub, open_checkout(session))
    assert stored.outcome == "payment authorised: request waiting for the practitioner"
    session.refresh_from_db()
    row = BookingCheckout.objects.get(session=session)
    assert session.booking_state == BookingState.REQUESTED and session.hold_expires_at is None
    assert row.state == BookingCheckoutState.AUTHORISED and row.payment_intent.startswith("pi_")
    assert stub.intents[row.payment_intent]["status"] == "requires_capture"
    assert not Payment.objects.exists() and not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()
    assert session.participants.get().payment_request.state == PaymentState.REQUIRED
    assert Notification.objects.filter(kind=NotificationKind.BOOKING_REQUEST).count() == 1  # the practitioner is told
    assert not client_messages(session).exists()

    post(client, completed)  # the same event again
    post(client, {**completed, "id": "evt_redelivered"})  # or the same completion under another id
    assert StripeEvent.objects.get(event_id="evt_redelivered").outcome == "booking checkout already authorised"
    assert not stub.calls(CAPTURE) and Notification.objects.filter(kind=NotificationKind.BOOKING_REQUEST).count() == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        booking.confirm_request(practice=world.home.practice, actor=world.home.practitioner, session=session)
    [capture] = stub.calls(CAPTURE)
    assert capture["path"] == f"/v1/payment_intents/{row.payment_intent}/capture"
    payment = Payment.objects.get()
    assert (payment.payment_intent, payment.amount) == (row.payment_intent, Decimal("150.00"))
    [line] = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT)
    assert line.amount == Decimal("-150.00") and line.label == "Card payment, Visa ending 4242"
    participant = session.participants.get()
    assert participant.payment_request.state == PaymentState.PAID
    invite = Notification.objects.get(participant=participant, kind=NotificationKind.INVITE)
    assert "Payment required" not in invite.body_text  # paid: the invitation asks for nothing more

    succeeded = event("payment_intent.succeeded", stub.intent(row.payment_intent))
    assert post(client, succeeded).outcome == "payment already recorded"
    post(client, succeeded)
    post(client, {**succeeded, "id": "evt_succeeded_again"})
    assert Payment.objects.count() == 1 and LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    assert len(stub.calls(CAPTURE)) == 1
    assert Notification.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED).count() == 1


def test_a_capture_stripe_refuses_leaves_the_request_as_it_was(client, world, service, stub):
    session = book(world, service)
    pay(client, stub, open_checkout(session))
    stub.fail_paths[CAPTURE] = (400, {"error": {"type": "invalid_request_error", "code": "charge_expired_for_capture",
                                                "message": "The charge has expired and cannot be captured."}})
    with pytest.raises(DomainError, match="The payment could not be captured: The charge has expired"):
        booking.confirm_request(practice=world.home.practice, actor=world.home.practitioner, session=session)
    session.refresh_from_db()
    assert session.is_requested and BookingCheckout.objects.get().state == BookingCheckoutState.AUTHORISED
    assert not Payment.objects.exists() and not client_messages(session).filter(kind=NotificationKind.INVITE).exists()


def test_declining_cancels_the_authorisation(client, world, service, stub):
    session = book(world, service)
    pay(client, stub, open_checkout(session))
    row = BookingCheckout.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        booking.decline_request(practice=world.home.practice, actor=world.home.practitioner, session=session)
    [cancel] = stub.calls(CANCEL)
    assert cancel["path"] == f"/v1/payment_intents/{row.payment_intent}/cancel"
    assert stub.intents[row.payment_intent]["status"] == "canceled"
    row.refresh_from_db()
    assert row.state == BookingCheckoutState.CANCELED and not row.release_reason
    assert not Payment.objects.exists() and not LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).exists()
    beat()
    assert len(stub.calls(CANCEL)) == 1  # nothing left owed


def test_a_decline_while_stripe_is_down_still_declines_and_the_beat_cancels_later(client, world, service, stub):
    session = book(world, service)
    pay(client, stub, open_checkout(session))
    stub.fail_paths[CANCEL] = (400, {"error": {"type": "invalid_request_error", "message": "Try again."}})
    booking.decline_request(practice=world.home.practice, actor=world.home.practitioner, session=session)
    session.refresh_from_db()
    row = BookingCheckout.objects.get()
    assert session.booking_state == BookingState.DECLINED and row.state == BookingCheckoutState.AUTHORISED
    assert row.release_reason == "declined"
    del stub.fail_paths[CANCEL]
    assert beat() == {"holds": {}, "lapsed": {"authorisation canceled": 1}, "released": {}}
    row.refresh_from_db()
    assert row.state == BookingCheckoutState.CANCELED and not row.release_reason
    assert beat() == {"holds": {}, "lapsed": {}, "released": {}}


# --- Confirmation off: paid at once ----------------------------------------------------------------------

def test_paid_at_booking_confirms_and_invites_and_the_payment_is_recorded_once(client, world, stub):
    service = set_up(world, confirmation=False, how="deposit", deposit=Decimal("40.00"))
    session = book(world, service)
    completed, stored = pay(client, stub, open_checkout(session))
    assert stored.outcome == "booking paid: session confirmed"
    session.refresh_from_db()
    assert session.booking_state == BookingState.CONFIRMED and session.status == SessionStatus.SCHEDULED
    row = BookingCheckout.objects.get()
    assert row.state == BookingCheckoutState.PAID and not row.capture_manual
    payment = Payment.objects.get()
    assert (payment.payment_intent, payment.amount) == (row.payment_intent, Decimal("40.00"))
    participant = session.participants.get()
    assert participant.payment_request.state == PaymentState.PAID
    invite = Notification.objects.get(participant=participant, kind=NotificationKind.INVITE)
    assert "Payment required" not in invite.body_text
    post(client, completed)
    post(client, {**completed, "id": "evt_completed_again"})
    assert post(client, event("payment_intent.succeeded", stub.intent(row.payment_intent))).outcome == "payment already recorded"
    assert Payment.objects.count() == 1 and LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    assert Notification.objects.filter(participant=participant, kind=NotificationKind.INVITE).count() == 1
    assert not stub.calls(CAPTURE) and not stub.calls(REFUNDS)


def test_the_clients_cancel_of_a_paid_booking_refunds_it(client, world, stub):
    service = set_up(world, confirmation=False)
    session = book(world, service)
    pay(client, stub, open_checkout(session))
    booking.cancel_booking(membership=world.home.client.memberships.get(), session=session)
    [refund] = stub.calls(REFUNDS)
    row = BookingCheckout.objects.get()
    assert refund["body"]["payment_intent"] == row.payment_intent and row.state == BookingCheckoutState.REFUNDED


def test_the_clients_cancel_while_checkout_is_open_expires_it(world, service, stub):
    session = book(world, service)
    url = open_checkout(session)
    booking.cancel_booking(membership=world.home.client.memberships.get(), session=session)
    [expire] = stub.calls(EXPIRE)
    assert expire["path"] == f"/v1/checkout/sessions/{checkout_id(url)}/expire"
    assert stub.checkouts[checkout_id(url)]["status"] == "expired"
    assert BookingCheckout.objects.get().state == BookingCheckoutState.EXPIRED


# --- The hold expires -------------------------------------------------------------------------------------

@pytest.mark.parametrize("confirmation", [True, False])
def test_the_hold_expires_while_checkout_is_open_and_the_late_payment_is_given_back(client, world, stub, clock, confirmation):
    service = set_up(world, confirmation=confirmation)
    first = book(world, service)
    url = open_checkout(first)
    clock.shift(timedelta(minutes=14, seconds=59))
    assert beat()["holds"] == {}  # not yet
    clock.shift(timedelta(seconds=2))
    assert beat()["holds"] == {"hold expired": 1}
    first.refresh_from_db()
    assert (first.status, first.booking_state) == (SessionStatus.CANCELED, BookingState.EXPIRED)
    [expire] = stub.calls(EXPIRE)
    assert expire["path"] == f"/v1/checkout/sessions/{checkout_id(url)}/expire"
    assert stub.checkouts[checkout_id(url)]["status"] == "expired"
    assert BookingCheckout.objects.get(session=first).state == BookingCheckoutState.EXPIRED
    assert beat()["holds"] == {} and len(stub.calls(EXPIRE)) == 1  # idempotent

    second = book(world, service, user=another_client(world))  # the slot is free again
    assert list(live_sessions_at(world, TEN)) == [second]

    # The payment went through while the expiry was on its way; its event arrives now.
    completed, stored = pay(client, stub, url, late=True)
    row = BookingCheckout.objects.get(session=first)
    if confirmation:
        assert stored.outcome == "hold had expired: authorisation canceled"
        assert row.state == BookingCheckoutState.CANCELED and stub.intents[row.payment_intent]["status"] == "canceled"
        assert not Payment.objects.exists()
    else:
        assert stored.outcome == "hold had expired: payment refunded"
        [refund] = stub.calls(REFUNDS)
        assert refund["body"]["payment_intent"] == row.payment_intent and row.state == BookingCheckoutState.REFUNDED
        refunded = {"id": "ch_1", "object": "charge", "payment_intent": row.payment_intent, "amount_refunded": 15000,
                    "refunds": {"object": "list", "data": [{"id": "re_late", "object": "refund", "amount": 15000,
                                                            "status": "succeeded", "payment_intent": row.payment_intent}]}}
        post(client, event("charge.refunded", refunded))
        assert sorted(LedgerEntry.objects.filter(kind__in=[EntryKind.PAYMENT, EntryKind.REFUND]).values_list("kind", "amount")) == [
            (EntryKind.PAYMENT, Decimal("-150.00")), (EntryKind.REFUND, Decimal("150.00"))]
        assert first.participants.get().payment_request.state == PaymentState.REFUNDED
        assert not Notification.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED).exists()
    first.refresh_from_db()
    assert (first.status, first.booking_state) == (SessionStatus.CANCELED, BookingState.EXPIRED)  # never revived
    assert list(live_sessions_at(world, TEN)) == [second]
    assert not client_messages(first).exclude(kind=NotificationKind.CANCEL).exists()
    post(client, {**completed, "id": "evt_completed_again"})
    assert len(stub.calls(CANCEL)) + len(stub.calls(REFUNDS)) == 1  # given back once


def test_a_checkout_paid_before_the_beat_ran_keeps_its_booking(client, world, service, stub, clock):
    """Paid at 14:30 on Stripe's page, its event delayed: when the beat comes to expire the Checkout,
    Stripe says it completed, and the booking is settled from Stripe's answer instead of expired."""
    session = book(world, service)
    url = open_checkout(session)
    clock.shift(timedelta(minutes=14, seconds=30))
    completed = event("checkout.session.completed", stub.complete_checkout(checkout_id(url)))
    clock.shift(timedelta(minutes=1))
    assert beat()["holds"] == {"payment authorised: request waiting for the practitioner": 1}
    session.refresh_from_db()
    assert session.is_requested and BookingCheckout.objects.get().state == BookingCheckoutState.AUTHORISED
    assert post(client, completed).outcome == "booking checkout already authorised"
    assert not stub.calls(CANCEL) and list(live_sessions_at(world, TEN)) == [session]


def test_stripe_down_when_the_hold_ends_frees_the_slot_and_the_checkout_is_expired_later(world, service, stub, clock):
    held = book(world, service)
    url = open_checkout(held)
    other = book(world, service, start=TEN + timedelta(hours=2), user=another_client(world))
    open_checkout(other)
    stub.fail_paths[rf"/v1/checkout/sessions/{checkout_id(url)}/expire"] = (
        400, {"error": {"type": "invalid_request_error", "message": "Try again."}})
    stub.fail_paths[rf"/v1/checkout/sessions/{checkout_id(url)}"] = (
        400, {"error": {"type": "invalid_request_error", "message": "Try again."}})
    clock.shift(timedelta(minutes=16))
    assert beat()["holds"] == {"hold expired": 2}  # one Stripe failure stops neither
    held.refresh_from_db()
    other.refresh_from_db()
    assert held.booking_state == other.booking_state == BookingState.EXPIRED
    row = BookingCheckout.objects.get(session=held)
    assert row.state == BookingCheckoutState.OPEN and row.release_reason == "hold expired"
    assert BookingCheckout.objects.get(session=other).state == BookingCheckoutState.EXPIRED
    stub.fail_paths.clear()
    assert beat()["released"] == {"checkout expired": 1}
    row.refresh_from_db()
    assert row.state == BookingCheckoutState.EXPIRED and not row.release_reason
    assert stub.checkouts[checkout_id(url)]["status"] == "expired"


# --- Authorisations about to lapse ------------------------------------------------------------------------

def test_an_authorisation_unconfirmed_for_six_days_is_canceled_and_the_request_declined(client, world, service, stub, clock):
    session = book(world, service)
    pay(client, stub, open_checkout(session))
    clock.shift(timedelta(days=1))
    later = book(world, service, start=TEN + timedelta(hours=2), user=another_client(world))
    pay(client, stub, open_checkout(later))
    clock.shift(timedelta(days=4, hours=23, minutes=59))  # 5 days 23:59 after the first authorisation
    assert beat()["lapsed"] == {}
    clock.shift(timedelta(minutes=1))
    assert beat()["lapsed"] == {"request declined": 1}
    session.refresh_from_db()
    later.refresh_from_db()
    row = BookingCheckout.objects.get(session=session)
    assert session.booking_state == BookingState.DECLINED and session.status == SessionStatus.CANCELED
    assert row.state == BookingCheckoutState.CANCELED and stub.intents[row.payment_intent]["status"] == "canceled"
    assert later.is_requested  # a day younger: still waiting
    declined = Notification.objects.get(session=session, kind=NotificationKind.BOOKING_DECLINED)
    assert "Your payment authorisation ran out before the practitioner confirmed." in declined.body_text
    assert beat()["lapsed"] == {} and len(stub.calls(CANCEL)) == 1


def test_a_stripe_error_on_one_lapsed_authorisation_does_not_stop_the_others(client, world, service, stub, clock):
    first = book(world, service)
    pay(client, stub, open_checkout(first))
    second = book(world, service, start=TEN + timedelta(hours=2), user=another_client(world))
    pay(client, stub, open_checkout(second))
    stuck = BookingCheckout.objects.get(session=first).payment_intent
    stub.fail_paths[rf"/v1/payment_intents/{stuck}/cancel"] = (400, {"error": {"type": "invalid_request_error", "message": "No."}})
    stub.fail_paths[rf"/v1/payment_intents/{stuck}"] = (400, {"error": {"type": "invalid_request_error", "message": "No."}})
    clock.shift(timedelta(days=6))
    assert beat()["lapsed"] == {"request declined": 2}  # both declined; the one Stripe refused is owed
    assert BookingCheckout.objects.get(session=second).state == BookingCheckoutState.CANCELED
    owed = BookingCheckout.objects.get(session=first)
    assert owed.state == BookingCheckoutState.AUTHORISED and owed.release_reason == "declined"
    stub.fail_paths.clear()
    beat()
    owed.refresh_from_db()
    assert owed.state == BookingCheckoutState.CANCELED and not owed.release_reason


# --- Checkouts this app does not know ---------------------------------------------------------------------

def test_a_completed_booking_checkout_with_no_booking_behind_it_is_given_back_if_it_is_this_sites(client, world, service, stub):
    def completed(intent, site):
        stub.intents[intent] = {"id": intent, "object": "payment_intent", "status": "requires_capture", "amount": 15000,
                                "latest_charge": {"id": "ch_" + intent}}
        return event("checkout.session.completed", {
            "id": "cs_test_" + intent, "object": "checkout.session", "payment_status": "unpaid", "payment_intent": intent,
            "amount_total": 15000, "currency": "usd",
            "metadata": {"booking_hold": "1", "practice_id": str(world.home.practice.pk), "participant_id": "999999",
                         "session_id": "999999", "site": site}})

    assert post(client, completed("pi_staging", "https://staging.example.com")).outcome == "ignored: booking checkout of another site"
    assert stub.intents["pi_staging"]["status"] == "requires_capture" and not stub.calls(CANCEL)
    assert post(client, completed("pi_orphan", "https://practice.example.com")).outcome == (
        "no booking for this checkout: authorisation canceled")
    assert stub.intents["pi_orphan"]["status"] == "canceled" and not Session.objects.exists()


# --- The service setting ----------------------------------------------------------------------------------

def service_data(service, **change):
    data = {"cpt_code": service.cpt_code, "name": service.name, "price": str(service.price),
            "duration_minutes": str(service.duration_minutes), "video": "on", "wage_kind": "percent", "wage_amount": "60",
            "is_active": "on"}
    return {**data, **change}


@pytest.mark.parametrize("change, message", [
    ({"payment_at_booking": "deposit"}, "Enter the deposit a client pays when booking (more than 0)."),
    ({"payment_at_booking": "deposit", "deposit_amount": "0"}, "A deposit must be more than 0."),
    ({"payment_at_booking": "deposit", "deposit_amount": "150.01"}, "A deposit cannot be more than the price (150.00)."),
    ({"payment_at_booking": "full", "price": "0"}, "This service has no price to pay at booking"),
    ({"payment_at_booking": "later"}, "Select a valid choice."),
])
def test_a_bad_payment_at_booking_setting_is_a_plain_error_and_nothing_is_saved(login, world, change, message):
    service = world.home.service
    response = login(world.home.admin).post(reverse("service_edit", args=[service.pk]), service_data(service, **change))
    assert response.status_code == 200 and message in response.content.decode()
    service.refresh_from_db()
    assert service.payment_at_booking == "none" and service.deposit_amount is None


def test_a_deposit_is_saved_and_stripe_missing_is_warned_about(login, world):
    service = world.home.service
    client = login(world.home.admin)
    page = client.get(reverse("service_edit", args=[service.pk])).content.decode()
    assert 'name="payment_at_booking"' in page and 'name="deposit_amount"' in page
    assert page.index('name="bookable_online"') < page.index('name="payment_at_booking"') < page.index('name="deposit_amount"')
    response = client.post(reverse("service_edit", args=[service.pk]),
                           service_data(service, payment_at_booking="deposit", deposit_amount="40"))
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.payment_at_booking, service.deposit_amount) == ("deposit", Decimal("40.00"))
    assert service.amount_at_booking == Decimal("40.00")
    page = client.get(reverse("service_edit", args=[service.pk])).content.decode()
    assert f"{STRIPE_NEEDED}: <a href=\"{reverse('billing:stripe_settings')}\">" in page
    assert client.post(reverse("service_edit", args=[service.pk]), service_data(service)).status_code == 302  # an older page
    service.refresh_from_db()
    assert service.payment_at_booking == "deposit"  # not sent: left as it was
    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", SECRET
    practice.save()
    assert STRIPE_NEEDED not in client.get(reverse("service_edit", args=[service.pk])).content.decode()


# --- The beat and Stripe's event racing at the end of the hold (real PostgreSQL, two connections) -------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("confirmation", [True, False])
def test_the_beat_and_the_checkout_event_racing_at_the_end_of_the_hold_give_one_outcome(world, stub, clock, confirmation):
    service = set_up(world, confirmation=confirmation)
    session = book(world, service)
    sid = checkout_id(open_checkout(session))
    completed = event("checkout.session.completed", stub.complete_checkout(sid, late=True))
    stub.checkouts[sid]["status"] = "open"  # Stripe will still accept the expiry: the event reads as late if the beat wins
    clock.shift(timedelta(minutes=15, seconds=30))
    barrier, errors = threading.Barrier(2), []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(tasks.expire_booking_holds,)),
               threading.Thread(target=run, args=(lambda: post(Client(), completed),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    session.refresh_from_db()
    row = BookingCheckout.objects.get()
    given_back = len(stub.calls(CANCEL)) + len(stub.calls(REFUNDS))
    if session.status == SessionStatus.SCHEDULED:  # the event first: the booking has its payment, nothing given back
        assert session.booking_state == (BookingState.REQUESTED if confirmation else BookingState.CONFIRMED)
        assert given_back == 0 and not stub.calls(EXPIRE)
        assert row.state == (BookingCheckoutState.AUTHORISED if confirmation else BookingCheckoutState.PAID)
    else:  # the beat first: the slot is free and the payment goes back once
        assert session.booking_state == BookingState.EXPIRED and given_back == 1
        assert row.state == (BookingCheckoutState.CANCELED if confirmation else BookingCheckoutState.REFUNDED)
    assert live_sessions_at(world, TEN).count() == (1 if session.status == SessionStatus.SCHEDULED else 0)
    assert StripeEvent.objects.get().processed_at is not None
