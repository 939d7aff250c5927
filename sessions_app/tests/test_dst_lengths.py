"""Issue 11, items 1 and 2: times across a clock change (DESIGN.md invariant 2).

1. A session's length is elapsed time: its end is computed in UTC, so a session
   that spans a daylight-saving change is stored as long as it was asked to be.
2. A series keeps the wall time the person typed; only an occurrence in a
   spring-forward gap moves (forward by the gap), a repeated time takes its first
   occurrence.

2027 changes: New York springs forward on Sun 14 March (02:00 -> 03:00) and falls
back on Sun 7 November (02:00 -> 01:00); Europe springs forward on Sun 28 March
(London 01:00 -> 02:00) and falls back on Sun 31 October (Berlin 03:00 -> 02:00).
"""
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from practice.timezones import wall_time_to_aware
from sessions_app import series as S
from sessions_app.models import Session, SessionSeries
from sessions_app.scheduling import (
    ParticipantData,
    SessionData,
    SlotLength,
    check_slot,
    schedule_session,
    update_session,
)
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db

NY = "America/New_York"
BERLIN = "Europe/Berlin"
LONDON = "Europe/London"

# (zone, day, typed time, length in minutes, the end it must have in UTC)
ACROSS_A_CHANGE = [
    pytest.param(NY, "2027-11-07", "01:30", 50, datetime(2027, 11, 7, 6, 20, tzinfo=UTC), id="new-york-fall-back"),
    pytest.param(NY, "2027-03-14", "01:30", 90, datetime(2027, 3, 14, 8, 0, tzinfo=UTC), id="new-york-spring-forward"),
    pytest.param(BERLIN, "2027-10-31", "02:30", 50, datetime(2027, 10, 31, 1, 20, tzinfo=UTC), id="berlin-fall-back"),
]


@pytest.fixture(autouse=True)
def _now_is_before_2027():
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=False):
        yield


def stored_lengths(sessions) -> list:
    """Each session's ``end - start`` in minutes, as PostgreSQL computes it from the stored values."""
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT EXTRACT(EPOCH FROM "end" - start) / 60 FROM sessions_app_session WHERE id = ANY(%s) ORDER BY start',
            [[s.pk for s in sessions]],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def stored_utc(session) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT start AT TIME ZONE 'UTC', "end" AT TIME ZONE 'UTC' FROM sessions_app_session WHERE id = %s""",
            [session.pk],
        )
        return cursor.fetchone()


def local_times(sessions, zone) -> list[str]:
    """Each session's start as the wall time and offset a person in ``zone`` sees."""
    tz = zoneinfo.ZoneInfo(zone)
    return [s.start.astimezone(tz).strftime("%Y-%m-%d %H:%M %z") for s in sessions]


def data_at(world, zone, day, typed, minutes, **extra):
    day, typed = date.fromisoformat(day), time.fromisoformat(typed)
    return SessionData(
        practitioner=world.home.practitioner, start=wall_time_to_aware(day, typed, zone), duration_minutes=minutes,
        time_zone=zone, services=[(world.home.service, Decimal("150.00"))],
        participants=[ParticipantData(name="Jamie Rivera", invite_method="none", time_zone="America/Chicago")],
        **extra,
    )


def form_post(world, zone, day, typed, minutes, **repeat):
    data = session_post(
        practitioner=world.home.practitioner, day=day, time=typed, zone=zone, length=str(minutes),
        participants=[{"name": "Jamie Rivera", "invite_method": "none", "time_zone": "America/Chicago"}],
        services=[{"service": world.home.service.pk, "price": "150.00"}],
    )
    if repeat:
        data.update({f"repeat-{k}": v for k, v in {"preset": "weekly", "enabled": "on", **repeat}.items()})
        data["action"] = "confirm"
    return data


# --- item 1: a length is elapsed time -----------------------------------------

@pytest.mark.parametrize("zone, day, typed, minutes, utc_end", ACROSS_A_CHANGE)
def test_schedule_session_stores_the_length_in_elapsed_minutes(world, zone, day, typed, minutes, utc_end):
    session = schedule_session(practice=world.home.practice, actor=world.home.practitioner,
                               data=data_at(world, zone, day, typed, minutes))
    assert stored_lengths([session]) == [minutes]
    assert stored_utc(session)[1] == utc_end.replace(tzinfo=None)
    session.refresh_from_db()
    assert session.duration_minutes == minutes


@pytest.mark.parametrize("zone, day, typed, minutes, utc_end", ACROSS_A_CHANGE)
def test_the_session_form_stores_the_length_in_elapsed_minutes(login, world, zone, day, typed, minutes, utc_end):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), form_post(world, zone, day, typed, minutes))
    assert response.status_code == 302, response.content.decode()
    session = Session.objects.get()
    assert stored_lengths([session]) == [minutes]
    assert stored_utc(session)[1] == utc_end.replace(tzinfo=None)


@pytest.mark.parametrize("zone, day, typed, minutes, utc_end", ACROSS_A_CHANGE)
def test_moving_a_session_onto_a_change_keeps_its_elapsed_length(world, zone, day, typed, minutes, utc_end):
    session = schedule_session(practice=world.home.practice, actor=world.home.practitioner,
                               data=data_at(world, zone, "2027-06-01", "10:00", minutes))
    update_session(practice=world.home.practice, actor=world.home.practitioner, session=session,
                   data=data_at(world, zone, day, typed, minutes))
    assert stored_lengths([session]) == [minutes]
    assert stored_utc(session)[1] == utc_end.replace(tzinfo=None)


@pytest.mark.parametrize("zone, first_day, typed, minutes", [
    pytest.param(NY, date(2027, 10, 31), "01:30", 50, id="new-york-fall-back"),
    pytest.param(NY, date(2027, 3, 7), "01:30", 90, id="new-york-spring-forward"),
    pytest.param(BERLIN, date(2027, 10, 24), "02:30", 50, id="berlin-fall-back"),
])
def test_series_occurrences_on_a_change_day_keep_their_elapsed_length(world, zone, first_day, typed, minutes):
    data = data_at(world, zone, first_day.isoformat(), typed, minutes)
    draft = S.new_series(practice=world.home.practice, actor=world.home.practitioner, data=data,
                         repeat={"preset": "weekly", "count": 3})
    previewed = S.preview(draft, S.occurrence_days(draft))
    assert [(o.end.astimezone(UTC) - o.start.astimezone(UTC)) for o in previewed] == [timedelta(minutes=minutes)] * 3
    assert not any(o.flagged for o in previewed)

    _, made, skipped = S.create_series(practice=world.home.practice, actor=world.home.practitioner, data=data,
                                       repeat={"preset": "weekly", "count": 3, "enabled": True}, today=date(2026, 6, 1))
    assert skipped == [] and len(made) == 3
    assert stored_lengths(made) == [minutes] * 3


def test_a_series_from_the_form_over_the_berlin_change_stores_elapsed_lengths(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), form_post(world, BERLIN, "2027-10-24", "02:30", 50, count="3"))
    assert response.status_code == 302, response.content.decode()
    made = list(Session.objects.order_by("start"))
    assert local_times(made, BERLIN) == ["2027-10-24 02:30 +0200", "2027-10-31 02:30 +0200", "2027-11-07 02:30 +0100"]
    assert stored_lengths(made) == [50, 50, 50]


@pytest.mark.parametrize("start, end", [
    # 01:58 EST to 03:02 EDT: 64 minutes on the wall, 4 elapsed: too short.
    pytest.param(datetime(2027, 3, 14, 1, 58), datetime(2027, 3, 14, 3, 2), id="spring-forward-too-short"),
    # Midnight to noon on the fall-back day: 12 hours on the wall, 13 elapsed: too long.
    pytest.param(datetime(2027, 11, 7, 0, 0), datetime(2027, 11, 7, 12, 0), id="fall-back-too-long"),
])
def test_the_slot_rule_measures_the_length_in_elapsed_time(world, start, end):
    tz = zoneinfo.ZoneInfo(NY)  # both ends share one tzinfo: Python's own subtraction would be wall time
    with pytest.raises(SlotLength):
        check_slot(practice=world.home.practice, start=start.replace(tzinfo=tz), end=end.replace(tzinfo=tz))


# --- item 2: a series keeps the typed wall time -------------------------------

@pytest.mark.parametrize("zone, day, typed, expected", [
    pytest.param(NY, "2027-03-14", "02:30",
                 ["2027-03-14 03:30 -0400", "2027-03-21 02:30 -0400", "2027-03-28 02:30 -0400"], id="new-york"),
    pytest.param(LONDON, "2027-03-28", "01:30",
                 ["2027-03-28 02:30 +0100", "2027-04-04 01:30 +0100", "2027-04-11 01:30 +0100"], id="london"),
])
def test_a_series_starting_in_the_spring_gap_keeps_the_typed_time(login, world, zone, day, typed, expected):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), form_post(world, zone, day, typed, 50, count="3"))
    assert response.status_code == 302, response.content.decode()
    made = list(Session.objects.order_by("start"))
    assert local_times(made, zone) == expected
    assert SessionSeries.objects.get().start_time == time.fromisoformat(typed)
    assert stored_lengths(made) == [50, 50, 50]


def test_the_series_preview_shows_the_typed_time_after_the_gap(login, world):
    client = login(world.home.practitioner)
    data = form_post(world, NY, "2027-03-14", "02:30", 50, count="3")
    del data["action"]
    page = client.post(reverse("sessions_app:session_new"), data).content.decode()
    assert "Check the schedule" in page
    assert page.count("2:30 AM–3:20 AM") == 2 and page.count("3:30 AM–4:20 AM") == 1
    assert Session.objects.count() == 0


def test_a_series_in_the_fall_back_fold_takes_the_first_occurrence(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), form_post(world, NY, "2027-11-07", "01:30", 50, count="3"))
    assert response.status_code == 302, response.content.decode()
    made = list(Session.objects.order_by("start"))
    assert local_times(made, NY) == ["2027-11-07 01:30 -0400", "2027-11-14 01:30 -0500", "2027-11-21 01:30 -0500"]
    assert stored_utc(made[0])[0] == datetime(2027, 11, 7, 5, 30)  # the first 01:30 (EDT)
    assert stored_lengths(made) == [50, 50, 50]


def test_editing_a_whole_series_to_a_time_in_the_gap_keeps_the_typed_time(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), form_post(world, NY, "2027-03-07", "10:00", 50, count="3"))
    assert response.status_code == 302
    on_change_day = Session.objects.get(start__date=date(2027, 3, 14))
    edit = form_post(world, NY, "2027-03-14", "02:30", 50)
    edit["services-INITIAL_FORMS"] = 1  # the edit page's line is an initial form, as the browser posts it
    response = client.post(reverse("sessions_app:session_edit", args=[on_change_day.pk]), {**edit, "scope": "all"})
    assert response.status_code == 302, response.content.decode()
    made = list(Session.objects.order_by("start"))
    assert local_times(made, NY) == ["2027-03-07 02:30 -0500", "2027-03-14 03:30 -0400", "2027-03-21 02:30 -0400"]
    assert SessionSeries.objects.get().start_time == time(2, 30)
    assert stored_lengths(made) == [50, 50, 50]


def test_the_gap_occurrence_opens_for_editing_at_the_series_time(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), form_post(world, NY, "2027-03-14", "02:30", 50, count="3"))
    gap_session = Session.objects.order_by("start").first()
    page = client.get(reverse("sessions_app:session_edit", args=[gap_session.pk])).content.decode()
    assert '<option value="02:30" selected>' in page
    # Saving it unchanged for the whole series moves nothing.
    edit = form_post(world, NY, "2027-03-14", "02:30", 50)
    edit["services-INITIAL_FORMS"] = 1  # the edit page's line is an initial form, as the browser posts it
    response = client.post(reverse("sessions_app:session_edit", args=[gap_session.pk]), {**edit, "scope": "all"})
    assert response.status_code == 302, response.content.decode()
    made = list(Session.objects.order_by("start"))
    assert local_times(made, NY) == ["2027-03-14 03:30 -0400", "2027-03-21 02:30 -0400", "2027-03-28 02:30 -0400"]
    assert SessionSeries.objects.get().start_time == time(2, 30)
