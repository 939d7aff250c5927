"""Recurring series: rules, wall-clock time across DST, horizon, preview, series edits."""
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from practice.errors import Conflict
from practice.tests.factories import SessionFactory
from sessions_app import series as S
from sessions_app.models import Closure, Session, SessionSeries, SessionStatus
from sessions_app.scheduling import ParticipantData, SessionData
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def data_at(world, day, hour, minute=0, zone="America/New_York", length=50):
    return SessionData(
        practitioner=world.home.practitioner, start=datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone)),
        duration_minutes=length, time_zone=zone, room=world.home.room,
        services=[(world.home.service, Decimal("150.00"))],
        participants=[ParticipantData(name="Jamie Rivera", invite_method="none", time_zone="America/Chicago")],
    )


def make(world, day, hour, minute=0, zone="America/New_York", today=None, **repeat):
    repeat = {"preset": "weekly", "enabled": True, **repeat}
    return S.create_series(practice=world.home.practice, actor=world.home.practitioner,
                           data=data_at(world, day, hour, minute, zone), repeat=repeat, today=today or day)


def utc_gap(first, second):
    utc = zoneinfo.ZoneInfo("UTC")
    return second.start.astimezone(utc) - first.start.astimezone(utc)


def local_times(sessions, zone="America/New_York"):
    return [s.start.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for s in sessions]


@pytest.mark.parametrize("hour, minute", [(9, 0), (13, 0), (23, 30)])
def test_wall_clock_time_holds_across_the_march_change(world, hour, minute):
    # DST starts Sunday 10 March 2030 in New York.
    series, made, skipped = make(world, date(2030, 3, 4), hour, minute, count=3)
    assert local_times(made) == [f"2030-03-{d:02d} {hour:02d}:{minute:02d}" for d in (4, 11, 18)]
    offsets = [s.start.astimezone(NY).utcoffset() for s in made]
    assert offsets == [timedelta(hours=-5), timedelta(hours=-4), timedelta(hours=-4)]


@pytest.mark.parametrize("hour, minute", [(9, 0), (13, 0), (23, 30)])
def test_wall_clock_time_holds_across_the_november_change(world, hour, minute):
    # DST ends Sunday 3 November 2030 in New York.
    series, made, _ = make(world, date(2030, 10, 28), hour, minute, count=2)
    assert local_times(made) == [f"2030-10-28 {hour:02d}:{minute:02d}", f"2030-11-04 {hour:02d}:{minute:02d}"]
    assert utc_gap(made[0], made[1]) == timedelta(days=7, hours=1)


def test_southern_hemisphere_zone_keeps_its_wall_time(world):
    # Sydney leaves DST on Sunday 7 April 2030 and enters it on Sunday 6 October 2030.
    _, made, _ = make(world, date(2030, 4, 1), 9, zone="Australia/Sydney", count=2)
    assert local_times(made, "Australia/Sydney") == ["2030-04-01 09:00", "2030-04-08 09:00"]
    assert utc_gap(made[0], made[1]) == timedelta(days=7, hours=1)
    _, made, _ = make(world, date(2030, 9, 30), 23, 30, zone="Australia/Sydney", count=2)
    assert local_times(made, "Australia/Sydney") == ["2030-09-30 23:30", "2030-10-07 23:30"]


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap(world):
    # 02:30 does not exist on 10 March 2030 in New York; that occurrence is at 03:30.
    _, made, _ = make(world, date(2030, 3, 3), 2, 30, count=3)
    assert local_times(made) == ["2030-03-03 02:30", "2030-03-10 03:30", "2030-03-17 02:30"]


def test_a_time_in_the_autumn_fold_takes_its_first_occurrence(world):
    _, made, _ = make(world, date(2030, 10, 27), 1, 30, count=2)
    assert made[1].start.astimezone(NY).utcoffset() == timedelta(hours=-4)  # 01:30 EDT, the first one


def test_count_includes_the_first_session(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, count=10)
    assert len(made) == 10 and Session.objects.filter(series=series).count() == 10
    assert all(s.session_services.get().price == Decimal("150.00") for s in made)
    assert all(s.participants.get().name == "Jamie Rivera" for s in made)


def test_end_date_is_inclusive(world):
    _, made, _ = make(world, date(2030, 1, 7), 10, until=date(2030, 1, 28))
    assert [s.start.astimezone(NY).day for s in made] == [7, 14, 21, 28]


def test_every_two_weeks_and_monthly_on_the_same_weekday(world):
    _, made, _ = make(world, date(2030, 1, 8), 10, preset="biweekly", count=3)
    assert [s.series_day for s in made] == [date(2030, 1, 8), date(2030, 1, 22), date(2030, 2, 5)]
    _, made, _ = make(world, date(2030, 1, 8), 12, preset="monthly", count=3)  # the 2nd Tuesday
    assert [s.series_day for s in made] == [date(2030, 1, 8), date(2030, 2, 12), date(2030, 3, 12)]


def test_custom_days_with_an_interval(world):
    _, made, _ = make(world, date(2030, 1, 7), 10, preset="custom", weekdays=[0, 3], frequency="weekly", interval=2, count=4)
    assert [s.series_day for s in made] == [date(2030, 1, 7), date(2030, 1, 10), date(2030, 1, 21), date(2030, 1, 24)]


def test_never_ending_series_fills_a_rolling_horizon_and_the_task_extends_it(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, today=date(2030, 1, 7))
    assert series.never_ends
    assert len(made) == 13  # 84 days ahead: weeks 0..12
    assert S.extend_horizon(series, date(2030, 1, 7)) == 0  # idempotent
    assert S.extend_horizon(series, date(2030, 2, 4)) == 4  # four weeks later, four more
    assert Session.objects.filter(series=series).count() == 17


def test_the_beat_task_extends_enabled_never_ending_series(world, settings):
    from sessions_app.tasks import extend_series

    series, made, _ = make(world, date.today() - timedelta(days=30), 10, today=date.today() - timedelta(days=30))
    before = Session.objects.filter(series=series).count()
    assert extend_series(series.pk) >= 4
    assert Session.objects.filter(series=series).count() > before


def test_a_disabled_schedule_is_saved_but_not_applied_until_enabled(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, count=5, enabled=False)
    assert not series.enabled and len(made) == 1
    assert S.extend_horizon(series, date(2030, 1, 7)) == 0
    assert S.enable_series(practice=world.home.practice, actor=None, series=series, today=date(2030, 1, 7)) == 4


def test_preview_flags_conflicts_and_closures_and_they_are_skipped(world):
    SessionFactory(cast=world.home, start=datetime(2030, 1, 14, 10, 20, tzinfo=NY), minutes=40)
    Closure.objects.create(practice=world.home.practice, title="Holiday", start_date=date(2030, 1, 21), end_date=date(2030, 1, 21))
    draft = S.new_series(practice=world.home.practice, actor=None, data=data_at(world, date(2030, 1, 7), 10),
                         repeat={"preset": "weekly", "count": 4})
    before = Session.objects.count()
    items = S.preview(draft, S.occurrence_days(draft))
    assert Session.objects.count() == before and SessionSeries.objects.count() == 0  # a preview writes nothing
    flags = [(i.day.day, bool(i.conflict), bool(i.closure)) for i in items]
    assert flags == [(7, False, False), (14, True, False), (21, False, True), (28, False, False)]
    series, made, skipped = make(world, date(2030, 1, 7), 10, count=4)
    assert [s.series_day.day for s in made] == [7, 28] and [d.day for d in skipped] == [14, 21]


def test_this_and_following_edit_leaves_earlier_and_completed_sessions_alone(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, count=4)
    made[3].status = SessionStatus.COMPLETED
    made[3].save()
    change = data_at(world, date(2030, 1, 14), 15)  # second session moved to 15:00
    count = S.update_in_series(practice=world.home.practice, actor=None, session=made[1], data=change, scope="following")
    assert count == 2
    times = local_times(Session.objects.filter(series=series).order_by("series_day"))
    assert times == ["2030-01-07 10:00", "2030-01-14 15:00", "2030-01-21 15:00", "2030-01-28 10:00"]


def test_all_edit_refuses_everything_when_one_occurrence_collides(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, count=3)
    SessionFactory(cast=world.home, start=datetime(2030, 1, 21, 15, 0, tzinfo=NY), minutes=60)
    with pytest.raises(Conflict, match="Jan 21"):
        S.update_in_series(practice=world.home.practice, actor=None, session=made[0], data=data_at(world, date(2030, 1, 7), 15),
                           scope="all")
    times = local_times(Session.objects.filter(series=series).order_by("start"))
    assert times == ["2030-01-07 10:00", "2030-01-14 10:00", "2030-01-21 10:00"]


def test_cancel_this_and_following_stops_the_series(world):
    series, made, _ = make(world, date(2030, 1, 7), 10, today=date(2030, 1, 7))
    S.cancel_in_series(practice=world.home.practice, actor=None, session=made[2], scope="following")
    series.refresh_from_db()
    assert series.until == date(2030, 1, 20)
    assert Session.objects.filter(series=series, status=SessionStatus.SCHEDULED).count() == 2
    assert S.extend_horizon(series, date(2030, 3, 1)) == 0  # no longer never-ending: nothing comes back


# --- the form ---------------------------------------------------------------

def repeat_post(world, **repeat):
    data = session_post(practitioner=world.home.practitioner, day="2030-01-07", time="10:00")
    data.update({f"repeat-{k}": v for k, v in {"preset": "weekly", "enabled": "on", **repeat}.items()})
    return data


@pytest.mark.parametrize("repeat, message", [
    ({"count": "5", "until": "2030-03-01"}, "not both"),
    ({}, "or choose Never Ends"),
    ({"never_ends": "on", "count": "5"}, "no number of sessions"),
    ({"preset": "custom", "count": "5"}, "Choose at least one day"),
    ({"until": "2030-01-01"}, "must be after the first session"),
    ({"count": "1"}, "greater than or equal to 2"),
])
def test_bad_recurrence_input_gets_a_form_error(login, world, repeat, message):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), repeat_post(world, **repeat))
    assert message in response.content.decode()
    assert Session.objects.count() == 0 and SessionSeries.objects.count() == 0


def test_the_form_previews_then_saves_on_confirmation(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), repeat_post(world, count="6"))
    page = response.content.decode()
    assert "Check the schedule" in page and page.count('data-flagged="0"') == 6
    assert Session.objects.count() == 0  # nothing written for a preview
    response = client.post(reverse("sessions_app:session_new"), {**repeat_post(world, count="6"), "action": "confirm"})
    assert response.status_code == 302
    assert Session.objects.filter(series__isnull=False).count() == 6
