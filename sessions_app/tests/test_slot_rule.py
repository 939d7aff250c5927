"""One rule for when a session may be (scheduling.check_slot), enforced by the domain
functions themselves, not only by the form or the calendar view."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from practice.errors import DomainError
from practice.tests.factories import ParticipantFactory, SessionFactory
from sessions_app import scheduling
from sessions_app.models import Closure, Session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 9, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(world):
    start = datetime(2030, 1, 8, 10, 0, tzinfo=NY)
    session = SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start,
                             end=start + timedelta(minutes=50))
    ParticipantFactory(session=session, client=world.home.client)
    return session


def move(world, session, start, minutes=50, **options):
    return scheduling.move_session(practice=world.home.practice, actor=world.home.staff, session=session,
                                   start=start, end=start + timedelta(minutes=minutes), **options)


@pytest.mark.parametrize("start, minutes, error", [
    (NOW - timedelta(hours=1), 50, scheduling.SlotInPast),
    (datetime(2030, 1, 9, 10, 0, tzinfo=NY), 0, scheduling.SlotLength),
    (datetime(2030, 1, 9, 10, 0, tzinfo=NY), -30, scheduling.SlotLength),
    (datetime(2030, 1, 9, 10, 0, tzinfo=NY), 4, scheduling.SlotLength),
    (datetime(2030, 1, 9, 10, 0, tzinfo=NY), 100 * 365 * 24 * 60, scheduling.SlotLength),
    (datetime(2030, 1, 10, 10, 0, tzinfo=NY), 50, scheduling.SlotOnClosure),
])
def test_move_session_itself_refuses_what_the_slot_rule_refuses(world, session, start, minutes, error):
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 1, 10), end_date=date(2030, 1, 10))
    with pytest.raises(error):
        move(world, session, start, minutes)
    session.refresh_from_db()
    assert session.start == datetime(2030, 1, 8, 10, 0, tzinfo=NY) and session.duration_minutes == 50


def test_a_confirmed_closure_day_is_allowed_and_the_edges_of_the_rule_hold(world, session):
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 1, 10), end_date=date(2030, 1, 10))
    move(world, session, datetime(2030, 1, 10, 10, 0, tzinfo=NY), allow_closure=True)
    move(world, session, NOW - scheduling.PAST_GRACE, minutes=5)  # 15 minutes back, 5 minutes long: allowed
    move(world, session, datetime(2030, 1, 11, 8, 0, tzinfo=NY), minutes=720)  # 12 hours: allowed
    session.refresh_from_db()
    assert session.duration_minutes == 720


def test_a_drag_to_a_hundred_year_length_is_a_plain_400(login, world, session):
    response = login(world.home.practitioner).post(reverse("sessions_app:session_move", args=[session.pk]), {
        "start": "2030-01-09T10:00:00", "end": "2130-01-09T10:00:00"})
    assert response.status_code == 400 and "5 minutes to 12 hours" in response.json()["error"]
    assert Session.objects.get(pk=session.pk).duration_minutes == 50


def test_the_slot_errors_are_domain_errors_a_view_can_show(world):
    with pytest.raises(DomainError) as refused:
        scheduling.check_slot(practice=world.home.practice, start=NOW, end=NOW)
    assert refused.value.message == "A session is 5 minutes to 12 hours long."
