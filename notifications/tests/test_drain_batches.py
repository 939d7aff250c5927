"""Issue 17: the drain reads due messages in batches from the (due_at, id) pending index and claims
each with one committed statement; what it costs in queries does not grow with the backlog, and
the guarantees of invariant 5 hold (sent once, retried after a failure, withdrawn when stale)."""
import threading
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import channels, delivery
from notifications.models import Channel, Notification, NotificationKind, State
from notifications.stubs import TwilioStub
from sessions_app import scheduling
from sessions_app.scheduling import ParticipantData, SessionData

NY = zoneinfo.ZoneInfo("America/New_York")


def notices(practice, count, prefix="n"):
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(practice=practice, kind=NotificationKind.NOTICE, channel=Channel.EMAIL,
                     to_address=f"{prefix}{n}@example.com", subject="A notice", body_text=f"Hello {n}",
                     due_at=now - timedelta(seconds=count - n), dedupe_key=f"{prefix}-{n}-{now.timestamp()}")
        for n in range(count))


def preparing(sql):
    """A statement of the once-per-connection preparation of the drain's statements."""
    return sql.startswith(("PREPARE", "DEALLOCATE")) or "pg_prepared_statements" in sql


def statements(queries):
    """The statements a drain sent, without the savepoints of the test's own transaction and without
    the preparation of its statements (once per connection: see test_statements_are_prepared_once...)."""
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"] and not preparing(q["sql"])]


def drained_with_queries(count, practice):
    notices(practice, count, prefix=f"q{count}")
    with CaptureQueriesContext(connection) as queries:
        assert delivery.drain() == count
    assert len(mail.outbox) == count
    mail.outbox.clear()
    return statements(queries.captured_queries)


@pytest.mark.django_db
def test_draining_costs_one_statement_per_message_and_two_per_batch_whatever_the_backlog(world):
    practice = world.home.practice
    for count in (5, 50):
        sql = drained_with_queries(count, practice)
        batches = -(-count // delivery.BATCH)
        reads = [s for s in sql if s.startswith("SELECT") and "ORDER BY" in s and "FOR UPDATE" not in s
                 and f"LIMIT {delivery.BATCH}" in s]
        claims = [s for s in sql if s.startswith("EXECUTE notification_claim")]
        lone_records = [s for s in sql if s.startswith("EXECUTE notification_sent")]
        # one lease check, one read per batch and one that finds nothing left; for each message one
        # statement claims it (with its session, participant, practice) and records the one sent
        # before it; the last of each batch is recorded by a statement of its own
        assert len(reads) == batches + 1, sql
        assert len(claims) == count
        assert len(lone_records) == batches
        assert len(sql) == 1 + (batches + 1) + count + batches, sql
    assert not Notification.objects.exclude(state=State.SENT).exists()
    assert Notification.objects.filter(sent_at=None).count() == 0


@pytest.mark.django_db
def test_the_batch_read_costs_the_same_single_query_for_5_or_50_due(world, django_assert_num_queries):
    delivery._claim_one_of([])  # the claim is prepared on this connection (once)
    for count in (5, 50):
        notices(world.home.practice, count, prefix=f"b{count}")
        with django_assert_num_queries(1):
            ids = delivery._due_batch(timezone.now(), delivery.BATCH)
        assert len(ids) == min(count, delivery.BATCH)
        with django_assert_num_queries(1):  # the claim, returning the row with its session, participant, practice
            notification, outcome = delivery._claim_one_of(ids)
        assert outcome is None and notification.state == State.SENDING and notification.attempts == 1
        with django_assert_num_queries(0):
            assert notification.practice.slug == "home" and notification.session is None and notification.participant is None
        Notification.objects.update(state=State.SENT)


@pytest.mark.django_db
def test_the_next_due_messages_come_from_the_pending_index_without_a_sort(world):
    notices(world.home.practice, 30)
    sql, params = (Notification.objects.filter(state=State.PENDING, due_at__lte=timezone.now())
                   .order_by("due_at", "id").values_list("id", flat=True)[:delivery.BATCH].query.sql_with_params())
    with transaction.atomic(), connection.cursor() as cursor:
        # A small test table would be read whole, or through a bitmap and a sort, whatever the indexes:
        # with those plans priced out, the order must come from an index on (due_at, id) itself (on the
        # old index on due_at alone, the id tie-break still needs a Sort).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notification_pending_due_id" in plan and "Sort" not in plan, plan


@pytest.mark.django_db
def test_a_message_whose_send_raised_is_retried_and_never_sent_twice(world, monkeypatch):
    rows = notices(world.home.practice, 8)
    flaky = rows[3]
    attempts = Counter()
    real_send = channels.send

    def send_failing_once(notification, senders):
        attempts[notification.pk] += 1
        if notification.pk == flaky.pk and attempts[notification.pk] == 1:
            raise ConnectionResetError("the server hung up")
        return real_send(notification, senders)

    monkeypatch.setattr(channels, "send", send_failing_once)
    assert delivery.drain() == 8
    flaky.refresh_from_db()
    assert flaky.state == State.PENDING and flaky.attempts == 1 and "hung up" in flaky.last_error
    assert len(mail.outbox) == 7 and Notification.objects.filter(state=State.SENT).count() == 7
    assert delivery.drain() == 0  # its backoff has not run out: nothing is sent again meanwhile
    with time_machine.travel(flaky.due_at + timedelta(seconds=1)):
        assert delivery.drain() == 1
        assert delivery.drain() == 0
    flaky.refresh_from_db()
    assert flaky.state == State.SENT and flaky.attempts == 2
    sent_to = Counter(message.to[0] for message in mail.outbox)
    assert len(sent_to) == 8 and set(sent_to.values()) == {1}
    assert attempts[flaky.pk] == 2 and all(attempts[row.pk] == 1 for row in rows if row.pk != flaky.pk)


@pytest.mark.django_db
def test_a_stale_reminder_is_withdrawn_by_the_batch_drain_not_sent(world):
    start = datetime(2030, 3, 12, 10, 0, tzinfo=NY)
    with time_machine.travel(datetime(2030, 3, 1, 9, 0, tzinfo=NY), tick=False):
        session = scheduling.schedule_session(
            practice=world.home.practice, actor=world.home.practitioner,
            data=SessionData(practitioner=world.home.practitioner, start=start, duration_minutes=50,
                             time_zone="America/New_York", services=[(world.home.service, Decimal("150"))],
                             participants=[ParticipantData(name="Emma London", invite_method="email",
                                                           email="emma@example.com", time_zone="Europe/London")]))
    Notification.objects.filter(session=session, kind=NotificationKind.INVITE).update(state=State.SENT)
    reminders = Notification.objects.filter(session=session, kind=NotificationKind.REMINDER)
    assert reminders.exists()
    # Moved behind the outbox's back (as a crash between steps would): the reminders speak of the old time.
    type(session).objects.filter(pk=session.pk).update(start=start + timedelta(days=1), end=start + timedelta(days=1, minutes=50))
    with time_machine.travel(start, tick=False):
        assert delivery.drain() == reminders.count()
    assert not mail.outbox
    assert set(reminders.values_list("state", "attempts")) == {(State.CANCELED, 0)}


@pytest.mark.django_db(transaction=True)
def test_two_drains_share_the_batches_and_send_each_message_once(world):
    rows = notices(world.home.practice, 60)
    handled = []

    def run():
        try:
            handled.append(delivery.drain())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(handled) == 60
    assert Counter(message.to[0] for message in mail.outbox) == Counter(row.to_address for row in rows)
    assert set(Notification.objects.values_list("state", "attempts")) == {(State.SENT, 1)}


def texts(practice, count, prefix="t"):
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(practice=practice, kind=NotificationKind.NOTICE, channel=Channel.SMS, to_address="+13125550142",
                     body_text=f"Text {prefix}{n}", due_at=now, dedupe_key=f"{prefix}-{n}-{now.timestamp()}")
        for n in range(count))


@pytest.mark.django_db
def test_texts_of_several_drains_go_through_one_kept_alive_twilio_connection(world, settings):
    stub = TwilioStub()
    settings.TWILIO_API_BASE = stub.url
    try:
        texts(world.home.practice, 3, prefix="first")
        assert delivery.drain() == 3
        texts(world.home.practice, 2, prefix="second")
        assert delivery.drain() == 2  # another drain (another Senders): the same client and HTTP session
    finally:
        stub.close()
    assert len(stub.messages) == 5
    assert list(stub.connections.values()) == [5], stub.connections


@pytest.mark.django_db
def test_the_claim_reads_the_practice_own_twilio_token_decrypted(world):
    practice = world.home.practice
    practice.twilio_account_sid, practice.twilio_auth_token, practice.twilio_from_number = "AC" + "a1" * 16, "f" * 32, "+12125550142"
    practice.save(update_fields=["twilio_account_sid", "twilio_auth_token", "twilio_from_number"])
    [row] = texts(practice, 1)
    notification, outcome = delivery._claim_one_of([row.pk])
    assert outcome is None and notification.practice.twilio_auth_token == "f" * 32
    assert channels.twilio_credentials(notification.practice).auth_token == "f" * 32


def test_the_twilio_transport_keeps_the_proxy_environment_read_once(monkeypatch, settings):
    settings.TWILIO_API_BASE = ""
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    twilio = channels.Twilio(channels.TwilioCredentials("AC" + "b2" * 16, "token", "+15005550006"))
    monkeypatch.delenv("HTTPS_PROXY")  # read when the client was made, not again for every text
    http_client = twilio.client.http_client
    assert http_client.proxy == "http://proxy.example:3128"
    assert (http_client.pool.proxy.host, http_client.pool.proxy.port) == ("proxy.example", 3128)


@pytest.mark.django_db(transaction=True)
def test_the_drain_prepares_its_two_statements_once_per_database_connection(world):
    def drained(prefix):
        notices(world.home.practice, 3, prefix=prefix)
        with CaptureQueriesContext(connection) as queries:
            assert delivery.drain() == 3
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("PREPARE")]

    connection.close()
    assert [s.split()[1] for s in drained("fresh")] == ["notification_claim", "notification_sent"]
    assert drained("again") == []  # the same connection: only executed
    connection.close()  # a new connection (as after a reconnect) prepares them again
    assert len(drained("reconnected")) == 2
    assert Notification.objects.filter(state=State.SENT).count() == 9 and len(mail.outbox) == 9


@pytest.mark.django_db(transaction=True)
def test_the_drain_records_a_send_on_a_new_connection_when_the_database_dropped_it(world, database_drops_during_send):
    [row] = notices(world.home.practice, 1)
    assert delivery.drain() == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.provider_id.startswith("<notification-") and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_each_send_is_recorded_before_the_next_send_with_its_own_provider_id(world, monkeypatch):
    """The record of a message rides on the next claim: it must still be committed before the next
    send starts (another connection sees it SENT), and carry that message's own provider id."""
    import psycopg2

    rows = notices(world.home.practice, delivery.BATCH + 5)
    real_send = channels.send
    seen_sent_before = []

    def send_and_look(notification, senders):
        with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM notifications_notification WHERE state = 'sent'")
            seen_sent_before.append(cursor.fetchone()[0])
        other.close()
        return real_send(notification, senders)

    monkeypatch.setattr(channels, "send", send_and_look)
    assert delivery.drain() == len(rows)
    assert seen_sent_before == list(range(len(rows)))
    for row in Notification.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.state == State.SENT and row.provider_id.startswith(f"<notification-{row.pk}@"), row.provider_id
