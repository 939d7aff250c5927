"""Issue 11: Stripe payments through outages (items 11, 12), the payment link of a canceled session or a
removed participant (item 14), and what a client reads for a card payment (item 19a)."""
import json
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import stripe
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from billing import ledger, payments, tasks
from billing.models import EntryKind, LedgerEntry, Payment, PaymentState, StripeEvent
from billing.tests import test_payments
from billing.tests.test_payments import SECRET, paid_event, post, refund_event
from notifications.tests import test_broker_down
from practice.tests.factories import ParticipantFactory, SessionFactory, next_weekday_at
from sessions_app.models import SessionStatus

# Fixtures shared with those modules: a participant who must pay 150.00, and a broker on a closed port.
paying = test_payments.paying
stub = test_payments.stub
broker_down = test_broker_down.broker_down


def stored_unprocessed(practice, evt, *, minutes_ago=2):
    """An event the webhook stored while its task could not be queued (as with Redis down)."""
    with TestCase.captureOnCommitCallbacks(execute=False):  # the task is never queued
        stored, _ = payments.store_event(practice, evt)
    StripeEvent.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=minutes_ago))
    return stored


def checkout_requests(stub):
    return [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]


# --- item 11: a payment stored while Redis was down is processed later --------------------------------------

@pytest.mark.django_db
def test_the_beat_task_processes_a_payment_stored_while_the_broker_was_down(paying):
    stored = stored_unprocessed(paying.session.practice, paid_event(paying))
    fresh = stored_unprocessed(paying.session.practice, paid_event(paying, intent="pi_fresh"), minutes_ago=0)
    assert not Payment.objects.exists()
    outcomes = tasks.redrive_stripe_events()
    assert outcomes == {"payment recorded": 1}
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.outcome == "payment recorded"
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.PAID
    assert list(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("amount", flat=True)) == [Decimal("-150.00")]
    # Less than a minute old: left to the task queued when it was stored.
    fresh.refresh_from_db()
    assert fresh.processed_at is None
    # Idempotent: running again records nothing more.
    assert tasks.redrive_stripe_events() == {}
    assert Payment.objects.count() == 1


def test_the_beat_schedule_runs_it_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["redrive-stripe-events"]
    assert entry == {"task": "billing.tasks.redrive_stripe_events", "schedule": 60}
    assert tasks.redrive_stripe_events.name == entry["task"]


@pytest.mark.django_db
def test_a_refund_waiting_for_its_payment_stays_waiting_quietly_then_applies(paying, caplog):
    refund = stored_unprocessed(paying.session.practice, refund_event(amount=5000))
    with caplog.at_level("INFO", logger="billing"):
        for _ in range(3):  # three beats: the refund waits, nothing is written, nothing is logged
            assert tasks.redrive_stripe_events() == {"waiting for the payment": 1}
    refund.refresh_from_db()
    assert refund.outcome == "waiting for the payment" and refund.processed_at is None
    assert caplog.records == [] and not LedgerEntry.objects.exists()
    stored_unprocessed(paying.session.practice, paid_event(paying))
    tasks.redrive_stripe_events()
    refund.refresh_from_db()
    assert refund.processed_at is not None
    paying.refresh_from_db()
    assert paying.payment_request.state == PaymentState.PARTLY_REFUNDED
    assert tasks.redrive_stripe_events() == {}


@pytest.mark.django_db
def test_reconcile_processes_events_stored_but_never_processed(paying, stub):
    evt = paid_event(paying, event_id="evt_stored_during_outage")
    stored_unprocessed(paying.session.practice, evt)
    # The same payment delivered again under another event id, stored but not listed by Stripe any more.
    other = stored_unprocessed(paying.session.practice, paid_event(paying, event_id="evt_not_listed"))
    stub.events = [evt]
    out = StringIO()
    call_command("stripe_reconcile", "--practice", "home", stdout=out)
    assert "1 events listed, 0 missing" in out.getvalue()
    assert StripeEvent.objects.get(event_id="evt_stored_during_outage").processed_at is not None
    other.refresh_from_db()
    assert other.outcome == "payment already recorded"  # processed too (the participant was paid by the first)
    assert Payment.objects.count() == 1 and LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1


# --- item 12: the webhook with the broker down -------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_webhook_received_while_the_broker_is_down_answers_200_and_the_event_is_processed_by_beat(
        client, paying, broker_down, caplog):
    payload = json.dumps(paid_event(paying, event_id="evt_during_outage"))
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    with caplog.at_level("WARNING", logger="billing.payments"):
        response = client.post(reverse("billing:stripe_webhook", args=["home"]), payload, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.event_id == "evt_during_outage" and stored.processed_at is None
    assert "could not be queued" in caplog.text
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.redrive_stripe_events() == {"payment recorded": 1}
    assert Payment.objects.get().participant == paying


# --- item 14: nothing is due for a canceled session or a removed participant --------------------------------

def cancel_session(participant):
    participant.session.status = SessionStatus.CANCELED
    participant.session.save(update_fields=["status"])


def cancel_participant(participant):
    participant.completion_status = SessionStatus.CANCELED
    participant.save(update_fields=["completion_status"])


@pytest.mark.django_db
@pytest.mark.parametrize("cancel", [cancel_session, cancel_participant])
def test_the_payment_link_of_a_canceled_session_starts_no_checkout(client, paying, stub, cancel):
    token = payments.payment_token(paying)
    cancel(paying)
    page = client.get(reverse("billing:pay", args=[token]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "No payment is due" in text and "Pay securely" not in text and "150.00 USD" not in text
    response = client.post(reverse("billing:pay", args=[token]))
    assert response.status_code == 200 and "No payment is due" in response.content.decode()
    assert checkout_requests(stub) == []
    paying.refresh_from_db()
    with pytest.raises(payments.DomainError):
        payments.start_checkout(paying)
    assert payments.payment_url(paying) and payments.due_request(paying) is None


@pytest.mark.django_db
def test_the_payment_link_of_a_removed_participant_is_a_plain_page(client, paying, stub):
    token = payments.payment_token(paying)
    paying.delete()  # removed from the session (its payment request goes with it)
    for response in (client.get(reverse("billing:pay", args=[token])), client.post(reverse("billing:pay", args=[token])),
                     client.get(reverse("billing:pay_done", args=[token]))):
        assert response.status_code == 200
        assert "No payment is due" in response.content.decode()
    assert checkout_requests(stub) == []
    assert client.get(reverse("billing:pay", args=["not-a-token"])).status_code == 404  # a forged link stays 404


@pytest.mark.django_db
def test_a_scheduled_session_still_starts_a_checkout(client, paying, stub):
    response = client.post(reverse("billing:pay", args=[payments.payment_token(paying)]))
    assert response.status_code == 302 and len(checkout_requests(stub)) == 1


# --- item 19a: what the client reads for a card payment -----------------------------------------------------

def card_event(participant, *, intent="pi_3Card", brand="visa", last4="4242"):
    evt = paid_event(participant, intent=intent)
    evt["data"]["object"]["charges"] = {"object": "list", "data": [
        {"id": "ch_1", "object": "charge", "payment_method_details": {"type": "card", "card": {"brand": brand, "last4": last4}}}]}
    return evt


@pytest.mark.django_db
def test_the_clients_balance_and_invoice_show_no_stripe_id(client, login, paying):
    other = ParticipantFactory(session=SessionFactory(practice=paying.session.practice, practitioner=paying.session.practitioner,
                                                      start=next_weekday_at(11)), name="Jamie Rivera", client=paying.client)
    with time_machine.travel(datetime(2030, 3, 1, 15, 0, tzinfo=timezone.get_fixed_timezone(0)), tick=False):
        post(client, card_event(paying))
        post(client, paid_event(other, intent="pi_3NoCard", event_id="evt_no_card"))
        # A line written before this change, as it was: "Card payment pi_…" (append-only, never rewritten).
        ledger.write(practice_id=paying.session.practice_id, kind=EntryKind.PAYMENT, amount=Decimal("-10.00"), currency="USD",
                     label="Card payment pi_3OldLine0123456789", practitioner=paying.session.practitioner, session=paying.session,
                     participant=paying, service_date=paying.session.start.date(), **ledger.client_fields(paying))
        ledger.write(practice_id=paying.session.practice_id, kind=EntryKind.REFUND, amount=Decimal("5.00"), currency="USD",
                     label="Refund re_3OldRefund0123", practitioner=paying.session.practitioner, session=paying.session,
                     participant=paying, service_date=paying.session.start.date(), **ledger.client_fields(paying))
    assert set(Payment.objects.values_list("payment_intent", flat=True)) == {"pi_3Card", "pi_3NoCard"}  # kept for the team
    labels = set(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("label", flat=True))
    assert {"Card payment, Visa ending 4242", "Card payment, Mar 1, 2030"} <= labels
    me = login(paying.client)
    year = paying.session.start.year
    period = f"?from={year}-01-01&to={year + 1}-12-31"
    balance = me.get(reverse("billing:my_balance") + period)
    invoice = me.get(reverse("billing:invoice", args=["u", paying.client.pk]) + period)
    shown = {"Card payment, Visa ending 4242", "Card payment, Mar 1, 2030", "Card payment", "Refund"}
    assert {line.label for line in balance.context["statement"].lines} == shown
    assert {line.label for line in invoice.context["invoice"].payments} == shown
    for page in (balance.content.decode(), invoice.content.decode()):
        assert "Card payment, Visa ending 4242" in page and "Card payment, Mar 1, 2030" in page
        assert "pi_" not in page and "re_3" not in page
