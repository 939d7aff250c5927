"""The calendar's events endpoint, dragging sessions, and closures."""
import zoneinfo
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from practice.tests.factories import ParticipantFactory, SessionFactory
from sessions_app.models import Closure, Session
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2030, 1, 2, 12, 0, tzinfo=NY), tick=False):
        yield


def at(day, hour, minute=0):
    return datetime(2030, 1, day, hour, minute, tzinfo=NY)


def book(world, day, hour, **fields):
    """A session of the home practice on 2030-01-``day`` at ``hour`` with one client, Jamie Rivera."""
    return SessionFactory(cast=world.home, start=at(day, hour), clients=["Jamie Rivera"], **fields)


def events(client, start="2030-01-01T00:00:00Z", end="2030-02-01T00:00:00Z", **extra):
    response = client.get(reverse("sessions_app:calendar_events"), {"start": start, "end": end, **extra})
    assert response.status_code == 200
    return response.json()


def test_events_are_the_visible_range_in_the_viewers_wall_time(login, world):
    book(world, 7, 10)
    SessionFactory(cast=world.home, start=datetime(2030, 3, 4, 10, tzinfo=NY), minutes=60)
    found = events(login(world.home.practitioner))
    assert [(e["title"], e["start"]) for e in found] == [("Jamie Rivera", "2030-01-07T10:00:00")]
    world.home.staff.time_zone = "America/Los_Angeles"
    world.home.staff.save()
    assert events(login(world.home.staff))[0]["start"] == "2030-01-07T07:00:00"


def test_practitioner_filter_and_scoping(login, world):
    book(world, 7, 10)
    book(world, 8, 10, practitioner=world.home.admin)
    assert len(events(login(world.home.practitioner))) == 1  # a practitioner sees their own
    staff = login(world.home.staff)
    assert len(events(staff)) == 2
    assert len(events(staff, practitioner=world.home.admin.pk)) == 1
    assert events(login(world.outsider.admin)) == []


def test_clients_see_their_own_sessions_and_closures(login, world):
    mine = book(world, 7, 10)
    ParticipantFactory(session=mine, name="Me", client=world.home.client)
    book(world, 8, 10)
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 1, 9), end_date=date(2030, 1, 9))
    found = events(login(world.home.client))
    assert [e["id"] for e in found if isinstance(e["id"], int)] == [mine.pk]
    closure = [e for e in found if e.get("display") == "background"]
    assert closure and closure[0]["title"] == "Closed: Snow day"
    assert found[0]["title"].startswith("Session with")


def test_a_session_on_a_closure_is_flagged(login, world):
    session = book(world, 9, 10)
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 1, 9), end_date=date(2030, 1, 10))
    event = next(e for e in events(login(world.home.staff)) if e["id"] == session.pk)
    assert "on-closure" in event["classNames"] and event["extendedProps"]["closure"].startswith("Snow day")


def test_events_queries_do_not_grow_with_sessions(login, world, django_assert_max_num_queries, django_assert_num_queries):
    client = login(world.home.staff)
    book(world, 7, 9)
    with django_assert_max_num_queries(6) as captured:  # today's count, as a ceiling
        events(client)
    few = len(captured)
    for day in range(8, 31):
        book(world, day, 10)
    with django_assert_num_queries(few):
        events(client)


def test_bad_range_answers_400(login, world):
    client = login(world.home.staff)
    assert client.get(reverse("sessions_app:calendar_events"), {"start": "soon", "end": "later"}).status_code == 400


def test_dragging_moves_a_session(login, world):
    session = book(world, 7, 10)
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_move", args=[session.pk]),
                           {"start": "2030-01-08T14:00:00Z", "end": "2030-01-08T14:50:00Z"})
    assert response.json() == {"ok": True}
    session.refresh_from_db()
    assert session.start == at(8, 14)


@pytest.mark.parametrize("start, end, message", [
    ("2030-01-08T10:30:00Z", "2030-01-08T11:20:00Z", "already has a session"),
    ("2029-12-31T10:00:00Z", "2029-12-31T10:50:00Z", "already passed"),
    ("2030-01-09T10:00:00Z", "2030-01-09T10:50:00Z", "closure"),
    ("yesterday", "today", "could not be read"),
])
def test_a_refused_move_changes_nothing(login, world, start, end, message):
    session = book(world, 7, 10)
    book(world, 8, 10)
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 1, 9), end_date=date(2030, 1, 9))
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_move", args=[session.pk]), {"start": start, "end": end})
    assert response.status_code == 400 and message in response.json()["error"]
    session.refresh_from_db()
    assert session.start == at(7, 10)


def test_moving_is_for_the_team_and_the_own_practice(login, world):
    session = book(world, 7, 10)
    data = {"start": "2030-01-08T14:00:00Z", "end": "2030-01-08T14:50:00Z"}
    assert login(world.home.client).post(reverse("sessions_app:session_move", args=[session.pk]), data).status_code == 403
    for role in ("admin", "staff", "practitioner"):
        assert login(world.outsider.member(role)).post(reverse("sessions_app:session_move", args=[session.pk]), data).status_code == 404
    assert Session.objects.get(pk=session.pk).start == at(7, 10)


def test_staff_add_a_closure_and_practitioners_cannot(login, world):
    staff = login(world.home.staff)
    response = staff.post(reverse("sessions_app:closure_add"),
                          {"title": "Thanksgiving", "start_date": "2030-11-28", "end_date": "2030-11-29"})
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.start_date, closure.end_date, closure.practice) == (date(2030, 11, 28), date(2030, 11, 29), world.home.practice)
    refused = login(world.home.practitioner).post(reverse("sessions_app:closure_add"), {"title": "Nope", "start_date": "2030-12-01"})
    assert refused.status_code == 403
    assert Closure.objects.count() == 1


@pytest.mark.parametrize("data", [
    {"title": "", "start_date": "2030-11-28"},
    {"title": "Backwards", "start_date": "2030-11-28", "end_date": "2030-11-20"},
    {"title": "x" * 121, "start_date": "2030-11-28"},
    {"title": "Bad date", "start_date": "2030-13-45"},
])
def test_bad_closure_input_is_refused_with_a_message(login, world, data):
    response = login(world.home.staff).post(reverse("sessions_app:closure_add"), data, follow=True)
    assert "The closure was not added" in response.content.decode()
    assert Closure.objects.count() == 0


def test_a_session_on_a_closed_day_needs_confirmation(login, world):
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=date(2030, 3, 12), end_date=date(2030, 3, 12))
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner))
    assert "falls on the closure" in response.content.decode() and Session.objects.count() == 0
    data = {**session_post(practitioner=world.home.practitioner), "confirm_closure": "on"}
    assert client.post(reverse("sessions_app:session_new"), data).status_code == 302


def test_calendar_page_for_every_role(login, world):
    for role in ("admin", "staff", "practitioner", "client"):
        response = login(world.home.member(role)).get(reverse("sessions_app:calendar"))
        assert response.status_code == 200
        assert ("Add closure" in response.content.decode()) == (role in ("admin", "staff"))
