"""Issue 11, item 15: delivery claims a row (SENDING, committed), sends outside any transaction, then
records the outcome; a row left SENDING by a dead worker is claimed again after its lease."""
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import channels, delivery
from notifications.models import Channel, Notification, NotificationKind, State


def notice(practice, **fields):
    return Notification.objects.create(
        practice=practice, kind=NotificationKind.NOTICE, channel=Channel.EMAIL, to_address="pat@example.com",
        subject="A notice", body_text="Hello", due_at=timezone.now(), dedupe_key=f"notice-{timezone.now().timestamp()}",
        **fields)


def from_another_connection(pk):
    """The row as another worker (another database connection) sees it: only what was committed."""
    seen = {}

    def read():
        try:
            seen["row"] = Notification.objects.values("state", "attempts", "claimed_at").get(pk=pk)
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(10)
    return seen["row"]


@pytest.mark.django_db(transaction=True)
def test_the_send_runs_outside_any_transaction_with_the_claim_committed(world, monkeypatch):
    row = notice(world.home.practice)
    during = {}
    real_send = channels.send

    def watching_send(notification, senders):
        during["in_transaction"] = connection.in_atomic_block
        during["committed"] = from_another_connection(notification.pk)
        return real_send(notification, senders)

    monkeypatch.setattr(channels, "send", watching_send)
    assert delivery.deliver_one(row.pk) == "sent"
    assert during["in_transaction"] is False
    committed = during["committed"]
    assert committed["state"] == State.SENDING and committed["attempts"] == 1 and committed["claimed_at"] is not None
    row.refresh_from_db()
    assert row.state == State.SENT and row.provider_id.startswith("<notification-") and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_sent_record_survives_the_database_dropping_the_connection_during_the_send(world, database_drops_during_send):
    row = notice(world.home.practice)
    assert delivery.deliver_one(row.pk) == "sent"
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 1
    assert len(mail.outbox) == 1
    assert delivery.drain() == 0  # recorded, so never sent again
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_row_left_sending_by_a_dead_worker_is_claimed_again_after_its_lease(world):
    claimed = timezone.now() - timedelta(minutes=5)
    row = notice(world.home.practice, state=State.SENDING, claimed_at=claimed, attempts=1)
    assert delivery.drain() == 0 and not mail.outbox  # its worker may still be at it
    with time_machine.travel(claimed + delivery.LEASE + timedelta(seconds=1)):
        assert delivery.drain() == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2 and len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<notification-{row.pk}@practice.example.com>"
    assert delivery.drain() == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_deliver_task_claims_its_row_again_only_after_the_lease(world):
    claimed = timezone.now() - timedelta(minutes=5)
    row = notice(world.home.practice, state=State.SENDING, claimed_at=claimed, attempts=1)
    assert delivery.deliver_one(row.pk) is None
    with time_machine.travel(claimed + delivery.LEASE + timedelta(seconds=1)):
        assert delivery.deliver_one(row.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_row_whose_worker_died_every_time_ends_failed(world):
    row = notice(world.home.practice, state=State.SENDING, claimed_at=timezone.now() - delivery.LEASE * 2,
                 attempts=delivery.MAX_ATTEMPTS)
    assert delivery.deliver_one() == "failed"
    row.refresh_from_db()
    assert row.state == State.FAILED and "stopped" in row.last_error and not mail.outbox


@pytest.mark.django_db
def test_a_failed_send_goes_back_to_pending_with_its_backoff(world, monkeypatch):
    row = notice(world.home.practice)

    def refuse(notification, senders):
        raise ConnectionRefusedError("nobody listens")

    monkeypatch.setattr(channels, "send", refuse)
    with time_machine.travel(timezone.now(), tick=False):
        assert delivery.deliver_one(row.pk) == "retry"
        row.refresh_from_db()
        assert row.state == State.PENDING and row.attempts == 1 and row.due_at == timezone.now() + timedelta(minutes=1)
    assert "nobody listens" in row.last_error
