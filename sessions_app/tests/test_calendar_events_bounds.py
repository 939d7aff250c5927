"""The calendar events endpoint's bounds (issue 17): a fixed number of queries for every role and any
number of sessions, a window of at most six weeks, a capped answer (with a notice) for an office member
who has not chosen a practitioner, and every event field as the session's model says."""
import importlib
import zoneinfo
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from practice.tests.factories import ParticipantFactory, SessionFactory
from sessions_app.models import BookingState, Closure, SessionKind, SessionStatus
from sessions_app.presentation import event_color

pytestmark = pytest.mark.django_db
calendar_views = importlib.import_module("sessions_app.views.calendar")  # the package exports a view named calendar
NY = zoneinfo.ZoneInfo("America/New_York")
EVENTS = reverse("sessions_app:calendar_events")
JANUARY = {"start": "2030-01-01T00:00:00-05:00", "end": "2030-02-01T00:00:00-05:00"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2030, 1, 2, 12, 0, tzinfo=NY), tick=False):
        yield


def book(cast, day, hour, minute=0, **fields):
    fields.setdefault("clients", ["Jamie Rivera"])
    return SessionFactory(cast=cast, start=datetime(2030, 1, day, hour, minute, tzinfo=NY), minutes=25, **fields)


def answer(client, **params):
    response = client.get(EVENTS, {**JANUARY, **params})
    assert response.status_code == 200
    return response


def session_ids(response):
    return [e["id"] for e in response.json() if isinstance(e["id"], int)]


@pytest.mark.parametrize("role, queries", [("staff", 6), ("practitioner", 7), ("client", 7)])
def test_the_number_of_queries_is_fixed_for_every_role(login, world, role, queries, django_assert_num_queries):
    """3 for the login session, the user and the membership (middleware); sessions, participants, closures;
    a practitioner and a client +1: access.sessions_visible_to reads ``membership.user``."""
    home = world.home
    client = login(home.member(role))
    book(home, 7, 9, clients__client=home.client)
    client.get(EVENTS, JANUARY)
    with django_assert_num_queries(queries):
        assert len(session_ids(answer(client))) == 1
    Closure.objects.create(practice=home.practice, title="Snow day", start_date=date(2030, 1, 9), end_date=date(2030, 1, 10))
    for day in range(8, 31):
        book(home, day, 10, clients=["First Person", {"name": "Casey", "client": home.client}], room=home.room)
    book(home, 8, 12, kind=SessionKind.ORIENTATION, clients__client=home.client, booking_state=BookingState.REQUESTED)
    with django_assert_num_queries(queries):
        assert len(session_ids(answer(client))) == 25


def test_each_event_reads_as_the_session_model_says(login, world):
    """The plain-rows rewrite keeps every field: a group on a closure in a room, a requested orientation,
    a saved past session with its outcome, and the detail link of each."""
    home = world.home
    Closure.objects.create(practice=home.practice, title="Snow day", start_date=date(2030, 1, 9), end_date=date(2030, 1, 9))
    group = book(home, 9, 10, clients=["Ann Alpha", "Bo Beta"], room=home.room)
    ParticipantFactory(session=group, name="Observer", is_client=False)
    request = book(home, 10, 11, kind=SessionKind.ORIENTATION, booking_state=BookingState.REQUESTED)
    done = book(home, 1, 9, status=SessionStatus.COMPLETED, completion_label="Late Cancel")
    found = {e["id"]: e for e in answer(login(home.staff)).json() if isinstance(e["id"], int)}
    host = str(home.practitioner)
    assert found[group.pk] == {
        "id": group.pk, "title": "Group (2)", "start": "2030-01-09T10:00:00-05:00", "end": "2030-01-09T10:25:00-05:00",
        "url": reverse("sessions_app:session_detail", args=[group.pk]), "color": event_color(SessionStatus.SCHEDULED),
        "borderColor": "#dc3545", "editable": True, "classNames": ["status-scheduled", "on-closure"],
        "extendedProps": {"status": "Scheduled", "group": True, "practitioner": host, "room": str(home.room),
                          "closure": str(Closure.objects.get())},
    }
    assert found[request.pk]["title"] == "Requested · Orientation"
    assert found[request.pk]["color"] == calendar_views.REQUESTED_COLOR
    assert found[request.pk]["classNames"] == ["status-scheduled", "requested"]
    assert found[request.pk]["extendedProps"]["status"] == "Requested" and found[request.pk]["extendedProps"]["room"] == ""
    assert found[done.pk]["title"] == "Jamie Rivera · Late Cancel"
    assert found[done.pk]["classNames"] == ["status-completed", "past"] and found[done.pk]["editable"] is False
    assert found[done.pk]["url"] == reverse("sessions_app:session_detail", args=[done.pk])


def test_a_range_is_cut_to_six_weeks(login, world):
    home = world.home
    inside = book(home, 7, 10)
    beyond = SessionFactory(cast=home, start=datetime(2030, 3, 1, 10, tzinfo=NY), clients=["Late Person"])
    client = login(home.staff)
    wide = {"start": "2030-01-01T00:00:00-05:00", "end": "2030-04-01T00:00:00-04:00"}
    assert session_ids(client.get(EVENTS, wide)) == [inside.pk]  # 1 March is past six weeks (and a day) from 1 January
    assert session_ids(client.get(EVENTS, {"start": "2030-02-15T00:00:00-05:00", "end": "2030-03-15T00:00:00-04:00"})) == [beyond.pk]


def test_an_office_view_without_a_practitioner_is_capped_with_a_notice(login, world, monkeypatch):
    monkeypatch.setattr(calendar_views, "OFFICE_CAP", 3)
    home = world.home
    mine = [book(home, 7 + n, 10) for n in range(4)]
    theirs = book(home, 8, 14, practitioner=home.admin)
    Closure.objects.create(practice=home.practice, title="Snow day", start_date=date(2030, 1, 20), end_date=date(2030, 1, 20))
    for role in ("staff", "admin"):
        response = answer(login(home.member(role)))
        assert session_ids(response) == [mine[0].pk, mine[1].pk, theirs.pk]  # the first three by start
        assert response["X-Calendar-Notice"] == (
            "Showing the first 3 sessions only, up to Tue Jan 8, 2:00 PM. Pick a practitioner, or the Week or Day view, to see them all.")
        assert [e["id"] for e in response.json() if e.get("display") == "background"]  # closures are never cut
    staff = login(home.staff)
    chosen = answer(staff, practitioner=home.practitioner.pk)
    assert session_ids(chosen) == [s.pk for s in mine] and "X-Calendar-Notice" not in chosen
    week = staff.get(EVENTS, {"start": "2030-01-06T00:00:00-05:00", "end": "2030-01-09T00:00:00-05:00"})
    assert len(session_ids(week)) == 3 and "X-Calendar-Notice" not in week  # exactly the cap: all of them, no notice
    own = answer(login(home.practitioner))  # a practitioner's own calendar is never cut
    assert session_ids(own) == [s.pk for s in mine] and "X-Calendar-Notice" not in own


def test_the_calendar_page_has_the_notice_place(login, world):
    page = login(world.home.staff).get(reverse("sessions_app:calendar")).content.decode()
    assert 'id="calendar-notice"' in page and "data-notice-text" in page
