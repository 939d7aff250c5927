"""Stripe payments through the real SDK (HTTP boundary on loopback) and SDK-signed webhooks."""
import json
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import stripe
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse

from billing import payments
from billing.models import EntryKind, LedgerEntry, Payment, PaymentState, StripeEvent
from billing.stripe_stub import StripeStub, event
from billing.tests.factories import PaymentRequestFactory
from notifications.models import Notification, NotificationKind
from practice.tests.factories import ParticipantFactory, SessionFactory, next_weekday_at

SECRET = "whsec_testsecret123"


@pytest.fixture
def stub(settings):
    server = StripeStub()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


@pytest.fixture
def paying(world):
    """A participant who must pay 150.00 for a session with the home practitioner."""
    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", SECRET
    practice.save()
    session = SessionFactory(practice=practice, practitioner=world.home.practitioner, start=next_weekday_at(10))
    participant = ParticipantFactory(session=session, name="Jamie Rivera", client=world.home.client)
    PaymentRequestFactory(participant=participant, service=world.home.service, amount=Decimal("150.00"))
    return participant


def paid_event(participant, *, intent="pi_123", amount=15000, practice_id=None, event_id=None, kind="payment_intent.succeeded"):
    metadata = {"practice_id": str(practice_id or participant.session.practice_id), "participant_id": str(participant.pk)}
    obj = {"id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount, "currency": "usd",
           "status": "succeeded", "metadata": metadata}
    return event(kind, obj, event_id=event_id)


def refund_event(intent="pi_123", amount=5000, refund_id="re_1", event_id=None):
    obj = {"id": "ch_1", "object": "charge", "payment_intent": intent, "amount_refunded": amount, "currency": "usd",
           "refunds": {"object": "list", "data": [{"id": refund_id, "object": "refund", "amount": amount, "status": "succeeded",
                                                  "payment_intent": intent}]}}
    return event("charge.refunded", obj, event_id=event_id)


def post(client, evt, *, secret=SECRET, timestamp=None, slug="home", tamper=False):
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    if tamper:
        payload = payload.replace("15000", "15001")
    # The event is processed by Celery on commit (in-process in tests); run those callbacks.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("billing:stripe_webhook", args=[slug]), payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=header)


@pytest.mark.django_db
def test_a_signed_payment_event_records_the_payment_once(client, paying):
    assert post(client, paid_event(paying)).status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.participant) == (Decimal("150.00"), "USD", paying)
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.PAID and paying.payment_request.paid_amount == Decimal("150.00")
    credit = LedgerEntry.objects.get(kind=EntryKind.PAYMENT)
    assert credit.amount == Decimal("-150.00") and credit.client == paying.client
    host_mail = Notification.objects.get(kind=NotificationKind.PAYMENT_RECEIVED)
    assert host_mail.to_address == paying.session.practitioner.email and "Paid in full" in host_mail.subject
    assert post(client, paid_event(paying)).status_code == 200  # a second event for the same payment
    assert Payment.objects.count() == 1 and Notification.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED).count() == 1
    assert [m.subject for m in mail.outbox].count(host_mail.subject) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["forged", "stale", "tampered", "missing"])
def test_forged_or_stale_signatures_are_refused_and_nothing_is_written(client, paying, how):
    evt = paid_event(paying)
    if how == "forged":
        response = post(client, evt, secret="whsec_someone_else")
    elif how == "stale":
        response = post(client, evt, timestamp=int(time.time()) - 3600)
    elif how == "tampered":
        response = post(client, evt, tamper=True)
    else:
        response = client.post(reverse("billing:stripe_webhook", args=["home"]), json.dumps(evt), content_type="application/json")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists() and not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_refund_seen_before_the_payment_ends_in_the_right_state(client, paying):
    assert post(client, refund_event(amount=5000)).status_code == 200
    assert StripeEvent.objects.get().outcome == "waiting for the payment"
    assert post(client, paid_event(paying)).status_code == 200
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.PARTLY_REFUNDED and paying.payment_request.refunded_amount == Decimal("50.00")
    assert sorted(LedgerEntry.objects.values_list("kind", "amount")) == [("payment", Decimal("-150.00")), ("refund", Decimal("50.00"))]
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_repeated_refund_event_is_counted_once_and_a_full_refund_reads_refunded(client, paying):
    post(client, paid_event(paying))
    refund = refund_event(amount=15000, refund_id="re_full")
    post(client, refund)
    post(client, refund)
    post(client, refund_event(amount=15000, refund_id="re_full", event_id="evt_other_delivery"))
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.REFUNDED and LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


@pytest.mark.django_db
def test_an_event_naming_another_practices_participant_is_ignored_and_logged(client, paying, world, caplog):
    theirs = ParticipantFactory(session=SessionFactory(practice=world.outsider.practice, practitioner=world.outsider.practitioner))
    with caplog.at_level("WARNING"):
        assert post(client, paid_event(theirs, practice_id=world.home.practice.pk)).status_code == 200
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()
    assert StripeEvent.objects.get().outcome.startswith("ignored")
    assert "outside practice" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_same_event_posted_ten_times_at_once_gives_one_payment(paying):
    evt = paid_event(paying)
    barrier = threading.Barrier(10)
    codes = []

    def send():
        client = Client()
        try:
            barrier.wait()
            codes.append(post(client, evt).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert codes == [200] * 10
    assert StripeEvent.objects.count() == 1 and Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED).count() == 1


@pytest.mark.django_db
def test_checkout_charges_exactly_the_required_amount_with_metadata(client, paying, stub):
    token = payments.payment_token(paying)
    page = client.get(reverse("billing:pay", args=[token]))
    assert "150.00 USD" in page.content.decode()
    response = client.post(reverse("billing:pay", args=[token]))
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]
    body = request["body"]
    price = body["line_items"]["0"]["price_data"]
    assert price["unit_amount"] == "15000" and price["currency"] == "usd"
    assert body["metadata"] == {"practice_id": str(paying.session.practice_id), "participant_id": str(paying.pk),
                                "session_id": str(paying.session_id)}
    assert body["payment_intent_data"]["metadata"]["participant_id"] == str(paying.pk)
    assert request["auth"] == "Bearer sk_test_practice"


@pytest.mark.django_db
def test_pay_clicked_twice_opens_one_checkout_and_after_paying_none(client, paying, stub):
    token = payments.payment_token(paying)
    first = client.post(reverse("billing:pay", args=[token]))
    second = client.post(reverse("billing:pay", args=[token]))  # another tab, or the same click again
    assert first["Location"] == second["Location"]
    assert len(stub.checkouts) == 1  # Stripe answered the second request with the first session
    [sid] = stub.checkouts
    stub.complete_checkout(sid)  # paid on Stripe's page; its event has not arrived yet
    third = client.post(reverse("billing:pay", args=[token]), follow=True)
    assert third.redirect_chain == [] and "Your payment went through and is being confirmed" in third.content.decode()
    assert len(stub.checkouts) == 1


@pytest.mark.django_db
def test_a_bad_payment_link_is_404(client):
    assert client.get(reverse("billing:pay", args=["not-a-token"])).status_code == 404


@pytest.mark.django_db
def test_refund_button_asks_stripe_and_records_nothing_itself(login, paying, stub, client):
    post(client, paid_event(paying))
    host = login(paying.session.practitioner)
    payment = Payment.objects.get()
    response = host.post(reverse("billing:refund", args=[payment.pk]), {"amount": "40.00"})
    assert response.status_code == 302
    [request] = [r for r in stub.requests if r["path"] == "/v1/refunds"]
    assert request["body"] == {"payment_intent": "pi_123", "amount": "4000", "metadata": request["body"]["metadata"]}
    assert not LedgerEntry.objects.filter(kind=EntryKind.REFUND).exists()  # Stripe's event records it
    assert host.post(reverse("billing:refund", args=[payment.pk]), {"amount": "500"}).status_code == 302
    assert len([r for r in stub.requests if r["path"] == "/v1/refunds"]) == 1  # more than was paid: refused


@pytest.mark.django_db
def test_refunds_are_for_the_team_of_the_own_practice(login, paying, world, client):
    post(client, paid_event(paying))
    payment = Payment.objects.get()
    assert login(world.home.client).post(reverse("billing:refund", args=[payment.pk])).status_code == 403
    assert login(world.outsider.admin).post(reverse("billing:refund", args=[payment.pk])).status_code == 404


@pytest.mark.django_db
def test_reconciliation_processes_events_that_never_arrived(paying, stub):
    stub.events = [paid_event(paying, event_id="evt_missed"), refund_event(amount=2000, refund_id="re_r", event_id="evt_ref")]
    with TestCase.captureOnCommitCallbacks(execute=True):
        seen, new = payments.reconcile(paying.session.practice, since=datetime.now() - timedelta(days=3))
    assert (seen, new) == (2, 2)
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.PARTLY_REFUNDED
    assert payments.reconcile(paying.session.practice, since=datetime.now() - timedelta(days=3)) == (2, 0)


@pytest.mark.django_db
def test_stripe_settings_never_show_the_secret_back(login, world):
    client = login(world.home.admin)
    response = client.post(reverse("billing:stripe_settings"), {
        "stripe_secret_key": "sk_test_abcdefghijklmnop1234", "stripe_webhook_secret": "whsec_abcdefghijkl5678",
        "stripe_publishable_key": "pk_test_abc", "stripe_account_id": ""})
    assert response.status_code == 302
    page = client.get(reverse("billing:stripe_settings")).content.decode()
    assert "sk_test_abcdefghijklmnop1234" not in page and "sk_test_…1234" in page and "whsec_abcdefghijkl5678" not in page
    assert client.post(reverse("billing:stripe_settings"), {"stripe_secret_key": "password"}).status_code == 200
    assert login(world.home.staff).get(reverse("billing:stripe_settings")).status_code == 403


@pytest.mark.django_db
def test_reconcile_command(paying, stub):
    from io import StringIO

    from django.core.management import call_command

    stub.events = [paid_event(paying, event_id="evt_cmd")]
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("stripe_reconcile", "--practice", "home", stdout=out)
    assert "1 events listed, 1 missing" in out.getvalue()
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_invite_carries_the_payment_link(world):
    from sessions_app import scheduling
    from sessions_app.scheduling import ParticipantData, SessionData

    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", SECRET
    practice.save()
    session = scheduling.schedule_session(practice=practice, actor=world.home.practitioner, data=SessionData(
        practitioner=world.home.practitioner, start=next_weekday_at(10), duration_minutes=50, time_zone="America/New_York",
        services=[(world.home.service, world.home.service.price)],
        participants=[ParticipantData(name="Pat", invite_method="email", email="pat@example.com", time_zone="America/New_York",
                                      payment_service=world.home.service, payment_amount=Decimal("120.00"))]))
    participant = session.participants.get()
    assert participant.payment_request.state == PaymentState.REQUIRED
    invite = Notification.objects.get(participant=participant, kind=NotificationKind.INVITE)
    link = payments.payment_url(participant).split("/billing/pay/")[0] + "/billing/pay/"
    assert "Payment required: 120.00 USD" in invite.body_text and link in invite.body_text
    token = invite.body_text.split("/billing/pay/")[1].split("/")[0]
    assert payments.participant_for_token(token) == participant


@pytest.mark.django_db
def test_the_session_page_offers_a_refund_for_a_paid_participant(login, paying, client):
    post(client, paid_event(paying))
    page = login(paying.session.practitioner).get(reverse("sessions_app:session_detail", args=[paying.session_id])).content.decode()
    assert "Paid in full 150.00 USD" in page
    assert reverse("billing:refund", args=[Payment.objects.get().pk]) in page
    client_page = login(paying.client).get(reverse("sessions_app:session_detail", args=[paying.session_id])).content.decode()
    assert "Paid in full" in client_page and "Refund" not in client_page


@pytest.mark.django_db
def test_re_saving_a_session_never_reverses_the_clients_payment(client, paying):
    from sessions_app import completion
    from sessions_app.models import CompletionType, SessionService

    SessionService.objects.create(session=paying.session, service=paying.payment_request.service, price=Decimal("150.00"))
    post(client, paid_event(paying))
    membership = paying.session.practitioner.memberships.get()
    for label in ("Completed", "Canceled"):
        kind = CompletionType.objects.get(practice=paying.session.practice, label=label)
        completion.save_session(practice=paying.session.practice, actor=membership.user, membership=membership,
                                session=paying.session, same_for_all=completion.Outcome(kind))
    payment_lines = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT)
    assert list(payment_lines.values_list("amount", flat=True)) == [Decimal("-150.00")]
    assert not payment_lines.filter(reversed_by__isnull=False).exists()
