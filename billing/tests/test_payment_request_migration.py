"""Payment terms move from Participant to billing.PaymentRequest without loss
(billing 0004 copies them, sessions_app 0006 drops the old columns), and e-mails
still waiting get their calendar attachment rendered (notifications 0002)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("practice", "0004_practice_stripe_account_id_and_more"), ("billing", "0003_payment_refund_stripeevent"),
          ("sessions_app", "0005_participant_paid_amount_participant_payment_amount_and_more"),
          ("notifications", "0001_initial")]
AFTER = [("billing", "0004_payment_request"), ("sessions_app", "0006_payment_fields_moved_to_billing"),
         ("notifications", "0002_ics_written_with_the_message")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest_schema_afterwards():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_payment_terms_and_pending_invites_survive_the_move(back_to_the_latest_schema_afterwards):
    old = migrate(BEFORE)
    Practice, User = old.get_model("practice", "Practice"), old.get_model("practice", "User")
    Service, Session = old.get_model("practice", "Service"), old.get_model("sessions_app", "Session")
    Participant, Notification = old.get_model("sessions_app", "Participant"), old.get_model("notifications", "Notification")
    practice = Practice.objects.create(name="Old Practice", slug="old", time_zone="America/New_York", currency="USD")
    host = User.objects.create(email="host@old.test", first_name="Dana", last_name="Host", time_zone="America/New_York")
    service = Service.objects.create(practice=practice, cpt_code="90837", name="Therapy", price=Decimal("175.00"))
    start = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)
    session = Session.objects.create(practice=practice, practitioner=host, start=start, end=start + timedelta(minutes=50),
                                     time_zone="America/New_York", access_code="123456789")
    people = {
        "owes": dict(payment_service=service, payment_amount=Decimal("175.00"), payment_state="required"),
        "paid": dict(payment_service=service, payment_amount=Decimal("175.00"), payment_state="paid",
                     paid_amount=Decimal("175.00")),
        "part": dict(payment_service=None, payment_amount=Decimal("120.00"), payment_state="partly_refunded",
                     paid_amount=Decimal("120.00"), refunded_amount=Decimal("20.00")),
        "free": dict(),
    }
    ids = {name: Participant.objects.create(session=session, name=name.title(), invite_method="none",
                                            time_zone="America/Chicago", **terms).pk for name, terms in people.items()}
    Notification.objects.create(practice=practice, session=session, participant_id=ids["owes"], kind="invite", channel="email",
                                to_address="owes@example.com", body_text="Invite", attach_ics=True, due_at=start,
                                dedupe_key="invite:old", about_start=start)

    new = migrate(AFTER)
    PaymentRequest = new.get_model("billing", "PaymentRequest")
    copied = {r.participant_id: (r.service_id, r.amount, r.state, r.paid_amount, r.refunded_amount, r.practice_id)
              for r in PaymentRequest.objects.all()}
    assert copied == {
        ids["owes"]: (service.pk, Decimal("175.00"), "required", Decimal("0.00"), Decimal("0.00"), practice.pk),
        ids["paid"]: (service.pk, Decimal("175.00"), "paid", Decimal("175.00"), Decimal("0.00"), practice.pk),
        ids["part"]: (None, Decimal("120.00"), "partly_refunded", Decimal("120.00"), Decimal("20.00"), practice.pk),
    }
    ics = new.get_model("notifications", "Notification").objects.get(dedupe_key="invite:old").ics
    assert "BEGIN:VEVENT" in ics and "Session with Dana Host (Old Practice)" in ics and "DTSTART:20310304T150000Z" in ics

    back = migrate(BEFORE)  # and back again: the terms return to the participant
    Participant = back.get_model("sessions_app", "Participant")
    assert Participant.objects.get(pk=ids["part"]).refunded_amount == Decimal("20.00")
    assert Participant.objects.get(pk=ids["free"]).payment_state == "not_required"
