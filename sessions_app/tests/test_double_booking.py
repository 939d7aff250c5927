"""No double booking (DESIGN.md invariant 1): the database decides, also under concurrent requests."""
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from practice.tests.factories import SessionFactory, next_weekday_at
from sessions_app.models import Participant, Session, SessionStatus
from sessions_app.tests.helpers import session_post

THREADS = 20


def test_the_database_refuses_an_overlap_written_past_the_forms(world):
    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start)
    with pytest.raises(IntegrityError, match="no_double_booking_practitioner"), transaction.atomic():
        SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start + timedelta(minutes=49))


def test_the_database_refuses_an_in_person_room_overlap(world):
    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, room=world.home.room, start=start)
    with pytest.raises(IntegrityError, match="no_double_booking_room"), transaction.atomic():
        SessionFactory(practice=world.home.practice, practitioner=world.home.admin, room=world.home.room, start=start)


def test_canceled_sessions_do_not_block(world):
    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start, status=SessionStatus.CANCELED)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start)
    assert Session.objects.count() == 2


def test_a_live_access_code_is_never_reused(world):
    first = SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner)
    with pytest.raises(IntegrityError, match="access_code_unique_live"), transaction.atomic():
        SessionFactory(practice=world.home.practice, practitioner=world.home.admin, access_code=first.access_code)
    first.status = SessionStatus.CANCELED
    first.save()
    SessionFactory(practice=world.home.practice, practitioner=world.home.admin, access_code=first.access_code)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_for_one_slot_leave_exactly_one_session(world):
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS
    day = (next_weekday_at(10) + timedelta(days=7)).date().isoformat()

    def book(index):
        client = Client()
        client.force_login(world.home.staff)
        data = session_post(
            practitioner=world.home.practitioner, day=day, time=f"10:{index % 4 * 10:02d}",
            participants=[{"name": f"Caller {index}", "invite_method": "none"}],
        )
        try:
            barrier.wait()
            results[index] = client.post(reverse("sessions_app:session_new"), data)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    winners = [r for r in results if r is not None and r.status_code == 302]
    losers = [r for r in results if r is not None and r.status_code == 200]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert all("The practitioner already has a session at that time." in r.content.decode() for r in losers)
    assert Session.objects.count() == 1
    assert Participant.objects.count() == 1  # nothing half-written by the losers
