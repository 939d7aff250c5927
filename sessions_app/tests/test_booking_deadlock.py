"""Two bookings racing for one slot can deadlock inside PostgreSQL's exclusion-constraint check
(issue 11, item 8): each has put its row in the constraint's index and waits for the other.
Bookings that could collide take a common lock first (``scheduling._lock_booking``), and a
deadlock with any other writer is the conflict (``practice.errors.LOST_RACE``, tried once more
in ``scheduling._save_with_unique_code``): the loser reads the conflict message, never a 500."""
import threading
import time
from datetime import timedelta
from unittest import mock

import psycopg2.errors
import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from practice.errors import CONSTRAINT_MESSAGES, LOST_RACE, Conflict
from practice.tests.factories import SessionFactory, next_weekday_at
from sessions_app import scheduling
from sessions_app.models import Participant, Session
from sessions_app.tests.helpers import session_post

THREADS = 20
PRACTITIONER_TAKEN = CONSTRAINT_MESSAGES["no_double_booking_practitioner"][1]


@pytest.fixture
def quick_deadlock_detection(db):
    """PostgreSQL looks for deadlocks after 1 s of waiting; 100 ms here, for the connections the test's
    threads open (the test database is thrown away afterwards)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
        cursor.execute(f'ALTER DATABASE "{name}" SET deadlock_timeout = \'100ms\'')
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" RESET deadlock_timeout')


def _data(world, practitioner, start):
    return scheduling.SessionData(
        practitioner=practitioner, start=start, duration_minutes=50, time_zone="America/New_York",
        services=[(world.home.service, world.home.service.price)],
        participants=[scheduling.ParticipantData(name="Jamie Rivera", invite_method="none", time_zone="America/New_York")],
    )


def _database_error(cause):
    """What Django raises for a psycopg2 error: its own class, with the driver's error as the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.django_db
@pytest.mark.parametrize("cause", [psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure])
def test_a_deadlock_or_serialization_failure_on_the_save_is_tried_once_more(world, cause):
    real_save = Session.save
    calls = []

    def lose_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise _database_error(cause("deadlock detected"))
        return real_save(self, *args, **kwargs)

    with mock.patch.object(Session, "save", lose_once):
        session = scheduling.schedule_session(practice=world.home.practice, actor=world.home.practitioner,
                                              data=_data(world, world.home.practitioner, next_weekday_at(10)))
    assert len(calls) == 2
    assert Session.objects.get() == session


@pytest.mark.django_db
@pytest.mark.parametrize("cause", [psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure])
def test_a_race_lost_twice_is_the_conflict_and_writes_nothing(world, cause):
    with mock.patch.object(Session, "save", side_effect=_database_error(cause("deadlock detected"))):
        with pytest.raises(Conflict) as refused:
            scheduling.schedule_session(practice=world.home.practice, actor=world.home.practitioner,
                                        data=_data(world, world.home.practitioner, next_weekday_at(10)))
    assert refused.value.message == LOST_RACE[1]
    assert Session.objects.count() == 0 and Participant.objects.count() == 0


@pytest.mark.django_db
def test_other_operational_errors_are_not_hidden(world):
    with mock.patch.object(Session, "save", side_effect=_database_error(psycopg2.errors.QueryCanceled("canceled"))):
        with pytest.raises(OperationalError):
            scheduling.schedule_session(practice=world.home.practice, actor=world.home.practitioner,
                                        data=_data(world, world.home.practitioner, next_weekday_at(10)))


@pytest.mark.django_db(transaction=True)
def test_two_bookings_deadlocked_on_the_constraint_end_in_one_conflict_not_a_500(world, quick_deadlock_detection):
    """Each transaction holds one practitioner's session and books the other's at the same time, in
    opposite orders: PostgreSQL reports a real deadlock (40P01) to one of them."""
    start = next_weekday_at(10)
    first, second = world.home.practitioner, world.home.admin
    barrier = threading.Barrier(2)
    outcome = {}

    def book(name, holds, books):
        try:
            with transaction.atomic():
                SessionFactory(practice=world.home.practice, practitioner=holds, start=start)
                barrier.wait()
                if name == "b":
                    time.sleep(0.05)  # "a" is waiting on "b" by now
                try:
                    scheduling.schedule_session(practice=world.home.practice, actor=books, data=_data(world, books, start))
                    outcome[name] = "saved"
                except Conflict as conflict:
                    outcome[name] = conflict.message
                    raise
        except Conflict:
            pass
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=("a", first, second)),
               threading.Thread(target=book, args=("b", second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, outcome.values())) == sorted(["saved", LOST_RACE[1]]), outcome
    assert Session.objects.count() == 2  # the winner's own session and the one it booked


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_released_at_once_on_one_slot_get_one_session_and_plain_conflicts(world, quick_deadlock_detection):
    """A held booking makes the posts wait; when it rolls back they would all recheck the constraint
    at the same moment, which is when PostgreSQL finds deadlocks among them (before: 500s)."""
    start = next_weekday_at(10) + timedelta(days=7)
    day = start.date().isoformat()
    barrier = threading.Barrier(THREADS + 1)
    results = [None] * THREADS

    def hold():
        try:
            with transaction.atomic():
                SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start)
                barrier.wait()
                time.sleep(1)  # everyone is queued behind this uncommitted row
                transaction.set_rollback(True)
        finally:
            connection.close()

    def book(index):
        client = Client(raise_request_exception=False)
        client.force_login(world.home.staff)
        data = session_post(practitioner=world.home.practitioner, day=day, time="10:00",
                            participants=[{"name": f"Caller {index}", "invite_method": "none"}])
        try:
            barrier.wait()
            time.sleep(0.2)
            results[index] = client.post(reverse("sessions_app:session_new"), data)
        except Exception as error:  # noqa: BLE001
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=hold)] + [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = [getattr(r, "status_code", r) for r in results]
    assert sorted(statuses, key=str).count(302) == 1, statuses
    losers = [r for r in results if getattr(r, "status_code", None) == 200]
    assert len(losers) == THREADS - 1, statuses  # no 500
    # The bookings of one practitioner run one after the other (scheduling._lock_booking), so no
    # two of them deadlock: each loser is refused by the constraint itself, in its own words.
    assert all(PRACTITIONER_TAKEN in r.content.decode() for r in losers)
    assert Session.objects.count() == 1
    assert Participant.objects.count() == 1
