"""The calendar's events endpoint, dragging sessions, and closures."""
import zoneinfo
from datetime import UTC, date, datetime, timedelta

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
    assert [(e["title"], e["start"]) for e in found] == [("Jamie Rivera", "2030-01-07T10:00:00-05:00")]
    world.home.staff.time_zone = "America/Los_Angeles"
    world.home.staff.save()
    assert events(login(world.home.staff))[0]["start"] == "2030-01-07T07:00:00-08:00"


def test_events_in_the_repeated_hour_carry_their_offsets(login, world):
    """2030-11-03 01:30 happens twice in New York: the two sessions are two different instants."""
    first = SessionFactory(cast=world.home, start=datetime(2030, 11, 3, 5, 30, tzinfo=UTC), minutes=30)   # 01:30 EDT
    second = SessionFactory(cast=world.home, start=datetime(2030, 11, 3, 6, 30, tzinfo=UTC), minutes=30)  # 01:30 EST
    found = events(login(world.home.practitioner), start="2030-11-02T00:00:00-04:00", end="2030-11-04T00:00:00-05:00")
    assert [(e["start"], e["end"]) for e in found] == [
        ("2030-11-03T01:30:00-04:00", "2030-11-03T01:00:00-05:00"), ("2030-11-03T01:30:00-05:00", "2030-11-03T02:00:00-05:00")]
    assert [datetime.fromisoformat(e["start"]) for e in found] == [first.start, second.start]


def test_the_events_range_may_be_instants_or_wall_times(login, world):
    book(world, 7, 10)
    client = login(world.home.practitioner)
    # 2030-01-07 10:00 New York is 15:00 UTC: a range ending at 14:59 UTC (09:59 in New York) leaves it out.
    assert events(client, start="2030-01-07T00:00:00Z", end="2030-01-07T14:59:00Z") == []
    assert len(events(client, start="2030-01-07T00:00:00Z", end="2030-01-07T15:01:00Z")) == 1
    assert events(client, start="2030-01-07T00:00:00", end="2030-01-07T09:59:00") == []
    assert len(events(client, start="2030-01-07T00:00:00-05:00", end="2030-01-08T00:00:00-05:00")) == 1


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
    assert found[0]["title"] == f"{world.home.practitioner.first_name} {world.home.practitioner.last_name[0]}."


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


@pytest.mark.parametrize("start, end", [
    ("soon", "later"),
    ("", ""),
    ("2030-01-01T00:00:00+25:00", "2030-02-01T00:00:00Z"),
    ("9999-12-31T00:00:00", "9999-12-31T23:59:00"),
    ("0001-01-01T00:00:00+14:00", "2030-02-01T00:00:00Z"),
])
def test_bad_range_answers_400(login, world, start, end):
    client = login(world.home.staff)
    response = client.get(reverse("sessions_app:calendar_events"), {"start": start, "end": end})
    assert response.status_code == 400 and response.json()["error"] == "start and end must be dates."


def test_a_clients_event_names_the_practitioner_in_a_few_letters(login, world):
    world.home.practitioner.first_name, world.home.practitioner.last_name = "Dana", "Hill"
    world.home.practitioner.save()
    book(world, 7, 10, clients__client=world.home.client)
    assert [e["title"] for e in events(login(world.home.client)) if isinstance(e["id"], int)] == ["Dana H."]


def test_dragging_moves_a_session(login, world):
    session = book(world, 7, 10)
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_move", args=[session.pk]),
                           {"start": "2030-01-08T14:00:00-05:00", "end": "2030-01-08T14:50:00-05:00"})
    assert response.json() == {"ok": True}
    session.refresh_from_db()
    assert session.start == at(8, 14)


def move(client, session, **times):
    return client.post(reverse("sessions_app:session_move", args=[session.pk]), times)


def test_a_drag_posts_an_instant_and_keeps_the_length(login, world):
    session = book(world, 7, 10)
    assert move(login(world.home.practitioner), session, start="2030-01-08T19:00:00Z").json() == {"ok": True}
    session.refresh_from_db()
    assert (session.start, session.end) == (at(8, 14), at(8, 14, 50))


def test_a_resize_posts_the_end_and_keeps_the_start(login, world):
    session = book(world, 7, 10)
    assert move(login(world.home.practitioner), session, end="2030-01-07T11:30:00-05:00").json() == {"ok": True}
    session.refresh_from_db()
    assert (session.start, session.end) == (at(7, 10), at(7, 11, 30))


def test_a_drag_into_the_skipped_hour_moves_forward_like_the_form(login, world):
    """2030-03-10 02:30 does not exist in New York: the form's rule reads it as 03:30 EDT; 50 minutes stay 50."""
    session = book(world, 7, 10)
    response = move(login(world.home.practitioner), session, start="2030-03-10T02:30:00")
    assert response.json() == {"ok": True}
    session.refresh_from_db()
    assert session.start == datetime(2030, 3, 10, 7, 30, tzinfo=UTC) == datetime(2030, 3, 10, 3, 30, tzinfo=NY)
    assert session.end - session.start == timedelta(minutes=50)


def test_a_drag_across_the_spring_change_keeps_the_elapsed_length(login, world):
    session = book(world, 7, 10)
    move(login(world.home.practitioner), session, start="2030-03-10T01:30:00-05:00")
    session.refresh_from_db()
    assert session.end - session.start == timedelta(minutes=50)
    assert session.end.astimezone(NY).replace(tzinfo=None) == datetime(2030, 3, 10, 3, 20)  # 01:30 EST + 50 min


@pytest.mark.parametrize("start, expected_utc", [
    ("2030-11-03T01:30:00", datetime(2030, 11, 3, 5, 30, tzinfo=UTC)),        # a wall time: the first 01:30 (EDT)
    ("2030-11-03T01:30:00-04:00", datetime(2030, 11, 3, 5, 30, tzinfo=UTC)),  # the first 01:30, said so
    ("2030-11-03T01:30:00-05:00", datetime(2030, 11, 3, 6, 30, tzinfo=UTC)),  # the second 01:30 (EST)
])
def test_a_drag_into_the_repeated_hour_lands_on_one_instant_and_is_not_stretched(login, world, start, expected_utc):
    session = book(world, 7, 10)
    assert move(login(world.home.practitioner), session, start=start).json() == {"ok": True}
    session.refresh_from_db()
    assert (session.start, session.end - session.start) == (expected_utc, timedelta(minutes=50))


@pytest.mark.parametrize("times", [
    {},
    {"start": ""},
    {"start": "2030-03-10T02:30:00", "end": "2030-03-10T03:20:00"},  # both ends in wall time across the gap: 03:30 to 03:20
    {"start": "2030-01-08T14:00:00+25:00"},
    {"start": "2030-02-30T10:00:00"},
    {"start": "9999-12-31T23:30:00"},
    {"start": "9999-12-31T23:30:00-05:00"},
    {"end": "0001-01-01T00:10:00+14:00"},
    {"start": "2030-01-08T14:00:00Z", "end": "2030-01-08T13:00:00Z"},
    {"start": "2030-01-08T14:00:00Z", "end": "2130-01-08T13:00:00Z"},
    {"start": "NaN"},
])
def test_any_unreadable_or_impossible_move_is_a_400_with_a_message(login, world, times):
    session = book(world, 7, 10)
    response = move(login(world.home.practitioner), session, **times)
    assert response.status_code == 400 and response.json()["error"]
    session.refresh_from_db()
    assert (session.start, session.end) == (at(7, 10), at(7, 10, 50))


@pytest.mark.parametrize("start, end, message", [
    ("2030-01-08T10:30:00-05:00", "2030-01-08T11:20:00-05:00", "already has a session"),
    ("2029-12-31T10:00:00-05:00", "2029-12-31T10:50:00-05:00", "already passed"),
    ("2030-01-09T10:00:00-05:00", "2030-01-09T10:50:00-05:00", "closure"),
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
    data = {"start": "2030-01-08T14:00:00-05:00", "end": "2030-01-08T14:50:00-05:00"}
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
