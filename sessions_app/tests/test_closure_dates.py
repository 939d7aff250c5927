"""Closure dates in sane years, and a closure added whole or not at all (issue 11, item 10); a drag
to a 1-second length is refused through the calendar view like the 100-year one."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from practice.errors import DomainError
from practice.tests.factories import ParticipantFactory, SessionFactory
from sessions_app import closures
from sessions_app.models import Closure, Session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 9, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(world):
    client = Client(raise_request_exception=False)  # a 500 is an answer to look at, not an exception
    client.force_login(world.home.staff)
    return client


@pytest.mark.parametrize("first, last, where", [
    ("9999-12-31", "", "First day"),
    ("9999-12-30", "9999-12-31", "First day"),
    ("0001-01-01", "", "First day"),
    ("2030-01-10", "3000-01-01", "Last day"),
])
def test_a_closure_outside_sane_years_is_a_plain_message_and_writes_nothing(world, staff, first, last, where):
    response = staff.post(reverse("sessions_app:closure_add"), {"title": "Forever", "start_date": first, "end_date": last},
                          follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The closure was not added: {where} Enter a date between 1900 and 2999." in page
    assert Closure.objects.count() == 0


def test_the_last_sane_day_still_works(world, staff):
    response = staff.post(reverse("sessions_app:closure_add"), {"title": "Far away", "start_date": "2999-12-31"})
    assert response.status_code == 302
    assert Closure.objects.get().end_date == date(2999, 12, 31)


@pytest.mark.parametrize("first, last", [
    (date(9999, 12, 31), date(9999, 12, 31)),
    (date(1899, 12, 31), date(1900, 1, 2)),
    (date(2030, 1, 10), date(2030, 1, 9)),
])
def test_add_closure_itself_refuses_bad_dates(world, first, last):
    with pytest.raises(DomainError):
        closures.add_closure(practice=world.home.practice, actor=world.home.staff, title="x", start_date=first, end_date=last)
    assert Closure.objects.count() == 0


def test_the_closure_and_its_notice_are_one_transaction(world, staff, monkeypatch):
    """Whatever fails after the row is written takes the row with it (no half-written closure)."""
    def broken(closure):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(closures, "sessions_in_closure", broken)
    response = staff.post(reverse("sessions_app:closure_add"), {"title": "Snow day", "start_date": "2030-01-10"})
    assert response.status_code == 500
    assert Closure.objects.count() == 0


def test_a_drag_to_a_one_second_length_is_a_plain_400(login, world):
    start = datetime(2030, 1, 8, 10, 0, tzinfo=NY)
    session = SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start,
                             end=start + timedelta(minutes=50))
    ParticipantFactory(session=session, client=world.home.client)
    response = login(world.home.practitioner).post(reverse("sessions_app:session_move", args=[session.pk]), {
        "start": "2030-01-09T10:00:00-05:00", "end": "2030-01-09T10:00:01-05:00"})
    assert response.status_code == 400
    assert response.json()["error"] == "A session is 5 minutes to 12 hours long."
    session = Session.objects.get(pk=session.pk)
    assert (session.start, session.duration_minutes) == (start, 50)
