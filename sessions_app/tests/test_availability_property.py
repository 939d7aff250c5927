"""Issue 13: ``availability.slots`` against a brute-force reference written from the module's
docstring (the spec of a slot), over random weekly hours, days off, closures, sessions,
buffers, steps, notice, horizon and zones, across daylight-saving changes; and a few worked
examples a person can check by hand.

The reference shares nothing with the module but ``practice.timezones.wall_time_to_aware``
(the spec's gap/fold rule). It walks the window one UTC minute at a time and decides each
minute directly:

(a) the grid: for every weekly-hours range that applies on a practitioner-local day, the wall
    times From, From + step, ... (before To), each converted with ``wall_time_to_aware``;
(b) the session, of elapsed length, ends by that range's To time; the range's day is no day
    off; neither the start's nor the end's practice-zone date (end exclusive) is closed; the
    start is at least the notice and at most the horizon after now;
(c) no minute of [start, end) lies in a live session's [start - before, end + after).

Each hypothesis example runs in a savepoint rolled back after it.
"""
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from practice.models import DayOff, WeeklyHours
from practice.timezones import wall_time_to_aware
from sessions_app.availability import is_free, slots
from sessions_app.models import BookingState, Closure, Session, SessionStatus

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]
# The 2026 daylight-saving changes of those zones (Kolkata has none).
DST_DAYS = {
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "America/St_Johns": [date(2026, 3, 8), date(2026, 11, 1)],
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "Pacific/Chatham": [date(2026, 4, 5), date(2026, 9, 27)],
    "Asia/Kolkata": [],
}
ALL_DST_DAYS = sorted({day for days in DST_DAYS.values() for day in days})
STEPS = (5, 10, 15, 20, 30, 60)

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


# --- A scenario: the practice's settings and the practitioner's data, as plain values ---------------

@dataclass(frozen=True)
class Range:
    weekday: int
    start: int  # minutes after midnight (wall time)
    end: int
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class Booked:
    start: datetime  # UTC
    minutes: int
    status: str = SessionStatus.SCHEDULED
    booking_state: str = BookingState.CONFIRMED
    where: str = "own"  # "own": this practice; "elsewhere": the practitioner in another practice; "colleague": someone else

    @property
    def end(self):
        return self.start + timedelta(minutes=self.minutes)

    @property
    def blocks(self):
        return self.where != "colleague" and self.status != SessionStatus.CANCELED


@dataclass(frozen=True)
class Scenario:
    practitioner_zone: str
    practice_zone: str
    ranges: tuple
    window_start: datetime
    window_end: datetime
    now: datetime
    minutes: int = 50
    step: int = 30
    before: int = 0
    after: int = 0
    notice_hours: int = 0
    horizon_days: int = 30
    days_off: tuple = ()  # (first, last) practitioner-local dates
    closures: tuple = ()  # (first, last) practice-local dates
    sessions: tuple = ()
    exclude: int | None = None  # index into sessions: the session being rescheduled


def _hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


def reference(sc: Scenario) -> list[datetime]:
    """The free starts of ``sc``, minute by minute, straight from the spec."""
    zone = sc.practitioner_zone
    length = timedelta(minutes=sc.minutes)
    # (a) Every grid start of every applicable range of every local day near the window: UTC start -> [(day, range end)].
    grid = {}
    first = (sc.window_start - timedelta(days=2)).astimezone(zoneinfo.ZoneInfo(zone)).date()
    last = (sc.window_end + timedelta(days=2)).astimezone(zoneinfo.ZoneInfo(zone)).date()
    for day in _days(first, last):
        for r in sc.ranges:
            if day.weekday() != r.weekday or (r.valid_from and day < r.valid_from) or (r.valid_until and day > r.valid_until):
                continue
            range_end = wall_time_to_aware(day, _hm(r.end), zone).astimezone(UTC)
            wall = r.start
            while wall < r.end:
                start = wall_time_to_aware(day, _hm(wall), zone).astimezone(UTC)
                grid.setdefault(start, []).append((day, range_end))
                wall += sc.step
    days_off = {day for first_day, last_day in sc.days_off for day in _days(first_day, last_day)}
    closed = {day for first_day, last_day in sc.closures for day in _days(first_day, last_day)}
    # (c) Busy minutes: every minute of each live session of the practitioner, widened by the buffers.
    busy = set()
    for index, s in enumerate(sc.sessions):
        if not s.blocks or index == sc.exclude:
            continue
        minute = s.start - timedelta(minutes=sc.before)
        while minute < s.end + timedelta(minutes=sc.after):
            busy.add(minute)
            minute += MINUTE
    practice_zone = zoneinfo.ZoneInfo(sc.practice_zone)
    notice, horizon = timedelta(hours=sc.notice_hours), timedelta(days=sc.horizon_days)

    free = []
    minute = sc.window_start.astimezone(UTC)
    while minute < sc.window_end:
        end = minute + length
        if (
            minute in grid
            # (b) on the grid of a range of a day that is no day off, ending by that range's To
            and any(end <= range_end and day not in days_off for day, range_end in grid[minute])
            and minute.astimezone(practice_zone).date() not in closed
            and (end - MINUTE).astimezone(practice_zone).date() not in closed
            and sc.now + notice <= minute <= sc.now + horizon
            # (c) minute by minute
            and not any(minute + n * MINUTE in busy for n in range(sc.minutes))
        ):
            free.append(minute)
        minute += MINUTE
    return free


# --- Writing a scenario to the database and asking slots() ------------------------------------------

def install(sc: Scenario, world):
    """The scenario's rows for world.home's practitioner; returns the session rows (in sc.sessions order)."""
    practice, practitioner = world.home.practice, world.home.practitioner
    practice.time_zone = sc.practice_zone
    practice.booking_min_notice_hours = sc.notice_hours
    practice.booking_horizon_days = sc.horizon_days
    practice.booking_buffer_before_minutes = sc.before
    practice.booking_buffer_after_minutes = sc.after
    practice.booking_slot_step_minutes = sc.step
    practice.save()
    practitioner.time_zone = sc.practitioner_zone
    practitioner.save(update_fields=["time_zone"])
    WeeklyHours.objects.bulk_create(
        WeeklyHours(practice=practice, practitioner=practitioner, weekday=r.weekday, start_time=_hm(r.start), end_time=_hm(r.end),
                    valid_from=r.valid_from, valid_until=r.valid_until)
        for r in sc.ranges)
    DayOff.objects.bulk_create(DayOff(practice=practice, practitioner=practitioner, first_day=first, last_day=last)
                               for first, last in sc.days_off)
    Closure.objects.bulk_create(Closure(practice=practice, title="Closed", start_date=first, end_date=last) for first, last in sc.closures)
    rows = []
    for s in sc.sessions:
        owner = {"own": (practice, practitioner), "elsewhere": (world.outsider.practice, practitioner),
                 "colleague": (practice, world.home.staff)}[s.where]
        rows.append(Session.objects.create(practice=owner[0], practitioner=owner[1], start=s.start, end=s.end,
                                           time_zone=sc.practitioner_zone, status=s.status, booking_state=s.booking_state))
    return rows


def listed(sc: Scenario, world, rows):
    return slots(practice=world.home.practice, practitioner=world.home.practitioner, minutes=sc.minutes,
                 window_start=sc.window_start, window_end=sc.window_end, now=sc.now,
                 exclude_session=rows[sc.exclude].pk if sc.exclude is not None else None)


def _explain(sc, expected, got):
    zone = zoneinfo.ZoneInfo(sc.practitioner_zone)

    def show(times):
        return [f"{t:%Y-%m-%d %H:%M}Z ({t.astimezone(zone):%a %H:%M %Z})" for t in sorted(times)]

    return (f"{sc}\nlisted, not in the reference: {show(set(got) - set(expected))}"
            f"\nin the reference, not listed: {show(set(expected) - set(got))}")


def check(sc: Scenario, world):
    with transaction.atomic():
        rows = install(sc, world)
        got = listed(sc, world, rows)
        transaction.set_rollback(True)
    expected = reference(sc)
    assert got == expected, _explain(sc, expected, got)
    return expected


# --- Random scenarios --------------------------------------------------------------------------------

def _minutes_after(start: datetime, minutes: int) -> datetime:
    return start.astimezone(UTC) + timedelta(minutes=minutes)


def some_minutes(draw, low: int, high: int) -> int:
    """Minutes from low to high, mostly on 5-minute marks (as the grid is: so sessions, buffers and
    lengths often meet a slot exactly, edge to edge), sometimes any."""
    if draw(st.integers(0, 4)):
        return 5 * draw(st.integers(-(-low // 5), high // 5))
    return draw(st.integers(low, high))


@st.composite
def scenarios(draw):
    practitioner_zone = draw(st.sampled_from(ZONES))
    practice_zone = draw(st.one_of(st.just(practitioner_zone), st.sampled_from(ZONES)))
    client_zone = draw(st.sampled_from(ZONES))
    changes = sorted(set(DST_DAYS[practitioner_zone] + DST_DAYS[practice_zone])) or ALL_DST_DAYS
    anchor = draw(st.one_of(st.sampled_from(changes), st.dates(date(2026, 1, 1), date(2026, 12, 31))))
    minutes, step = some_minutes(draw, 15, 120), draw(st.sampled_from(STEPS))
    before, after = some_minutes(draw, 0, 30), some_minutes(draw, 0, 30)

    # A 2-4 day window, from a minute near midnight in the client's zone a day or two before the anchor.
    midnight = datetime.combine(anchor - timedelta(days=draw(st.integers(0, 2))), time(0), tzinfo=zoneinfo.ZoneInfo(client_zone))
    window_start = _minutes_after(midnight, some_minutes(draw, -12 * 60, 12 * 60))
    window_length = draw(st.integers(2 * 24 * 60, 4 * 24 * 60))
    window_end = window_start + timedelta(minutes=window_length)
    first_day = window_start.astimezone(zoneinfo.ZoneInfo(practitioner_zone)).date()
    window_days = [first_day + timedelta(days=n) for n in range(window_length // (24 * 60) + 1)]
    window_day = st.sampled_from(window_days)

    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        weekday = draw(window_day).weekday()
        # Half the ranges start in the small hours, so they cross 01:00-03:00 where the changes are.
        start = 5 * draw(st.one_of(st.integers(0, 36), st.integers(0, 286)))
        end = min(1435, start + 5 * draw(st.one_of(st.integers(12, 144), st.integers(1, 144))))  # mostly an hour or more
        valid = st.one_of(st.none(), st.none(), window_day)
        valid_from, valid_until = draw(valid), draw(valid)
        if valid_from and valid_until and valid_until < valid_from:
            valid_from, valid_until = valid_until, valid_from
        ranges.append(Range(weekday, start, end, valid_from, valid_until))

    def some_days(max_size):
        return tuple((first, first + timedelta(days=draw(st.integers(0, 1))))
                     for first in draw(st.lists(window_day, max_size=max_size)))

    days_off, closures = some_days(1), some_days(1)
    if practice_zone != practitioner_zone and not draw(st.integers(0, 3)):
        # A range whose grid has a slot ending exactly at the practice's midnight before a closed day
        # (the end's date is end-exclusive, so that slot stays).
        closed = draw(window_day)
        boundary = datetime.combine(closed, time(0), tzinfo=zoneinfo.ZoneInfo(practice_zone)).astimezone(
            zoneinfo.ZoneInfo(practitioner_zone))
        wall = boundary.hour * 60 + boundary.minute
        if wall - minutes >= 0:
            start = wall - minutes - step * draw(st.integers(0, (wall - minutes) // step))
            ranges.append(Range(boundary.weekday(), start, wall))
            closures += ((closed, closed),)

    # Sessions: near a range's hours on one of its days, or edge to edge with one of its grid
    # starts (ending where a slot's buffer-widened start is, or starting where one ends), or
    # anywhere near the window. A live one that would overlap a kept live one of the same host
    # becomes canceled (the exclusion constraint would refuse it, and canceled ones must not block).
    sessions, live = [], []
    for _ in range(draw(st.integers(0, 6))):
        length = some_minutes(draw, 5, 180)
        near = draw(st.sampled_from(ranges))
        day_midnight = datetime.combine(draw(st.sampled_from([d for d in window_days if d.weekday() == near.weekday] or window_days)),
                                        time(0), tzinfo=zoneinfo.ZoneInfo(practitioner_zone))
        mode = draw(st.sampled_from(["near", "touch", "touch", "anywhere"]))
        if mode == "near":
            start = _minutes_after(day_midnight, near.start + some_minutes(draw, -150, near.end - near.start + 30))
        elif mode == "touch":
            grid = _minutes_after(day_midnight, near.start + step * draw(st.integers(0, (near.end - near.start) // step)))
            if draw(st.booleans()):  # the slot at ``grid`` ends where the session's buffer before begins
                start = grid + timedelta(minutes=minutes + before)
            else:  # the session's buffer after ends at ``grid``
                start = grid - timedelta(minutes=after + length)
        else:
            start = window_start + timedelta(minutes=some_minutes(draw, -180, window_length + 180))
        booked = Booked(
            start=start, minutes=length,
            status=draw(st.sampled_from([SessionStatus.SCHEDULED] * 3 + [SessionStatus.COMPLETED, SessionStatus.MISSED,
                                                                         SessionStatus.CANCELED])),
            booking_state=draw(st.sampled_from([BookingState.CONFIRMED, BookingState.REQUESTED])),
            where=draw(st.sampled_from(["own", "own", "own", "elsewhere", "colleague"])))
        host = "colleague" if booked.where == "colleague" else "practitioner"
        if booked.status != SessionStatus.CANCELED:
            if any(h == host and booked.start < other.end and other.start < booked.end for h, other in live):
                booked = Booked(booked.start, booked.minutes, SessionStatus.CANCELED, booked.booking_state, booked.where)
            else:
                live.append((host, booked))
        sessions.append(booked)
    exclude = draw(st.one_of(st.none(), st.none(), st.integers(0, len(sessions) - 1))) if sessions else None

    # Now: either the notice's edge or the horizon's falls in (or near) the window, or neither does.
    notice_hours, horizon_days = draw(st.integers(0, 48)), draw(st.integers(1, 30))
    shift = timedelta(minutes=some_minutes(draw, -6 * 60, window_length), seconds=draw(st.sampled_from([0, 0, 0, 30])))
    edge = draw(st.sampled_from(["notice", "horizon", "neither"]))
    if edge == "horizon":
        now = window_start - timedelta(days=horizon_days) + shift
    else:
        now = window_start - timedelta(hours=notice_hours) + (shift if edge == "notice" else -shift)
        horizon_days = max(horizon_days, (window_end - now).days + 1)

    return Scenario(
        practitioner_zone=practitioner_zone, practice_zone=practice_zone, ranges=tuple(ranges),
        window_start=window_start, window_end=window_end, now=now,
        minutes=minutes, step=step, before=before, after=after,
        notice_hours=notice_hours, horizon_days=horizon_days,
        days_off=days_off, closures=closures, sessions=tuple(sessions), exclude=exclude)


def dst_scenario(zone: str, day: date, practice_zone: str | None = None) -> Scenario:
    """A busy day across ``zone``'s daylight-saving change on ``day``: ranges over the small hours
    on the day and around it, a 5-minute step, buffers, and sessions either side of the change."""
    tz = zoneinfo.ZoneInfo(zone)
    before_day, after_day = day - timedelta(days=1), day + timedelta(days=1)
    window_start = datetime.combine(before_day, time(0), tzinfo=tz).astimezone(UTC)
    window_end = datetime.combine(day + timedelta(days=2), time(0), tzinfo=tz).astimezone(UTC)
    at = lambda d, h, m: wall_time_to_aware(d, time(h, m), zone).astimezone(UTC)  # noqa: E731
    return Scenario(
        practitioner_zone=zone, practice_zone=practice_zone or zone,
        ranges=(Range(day.weekday(), 0, 4 * 60 + 30), Range(day.weekday(), 75, 170), Range(day.weekday(), 22 * 60, 1435),
                Range(before_day.weekday(), 22 * 60, 1435), Range(after_day.weekday(), 30, 3 * 60 + 5)),
        window_start=window_start, window_end=window_end, now=window_start - timedelta(hours=30),
        minutes=25, step=5, before=7, after=11, notice_hours=0, horizon_days=30,
        sessions=(Booked(at(day, 0, 40), 20), Booked(at(day, 3, 50), 35, booking_state=BookingState.REQUESTED),
                  Booked(at(day, 1, 10), 30, status=SessionStatus.CANCELED), Booked(at(after_day, 1, 0), 45, where="elsewhere")))


@PROPERTY
@given(sc=scenarios())
@example(sc=dst_scenario("America/New_York", date(2026, 3, 8), "Europe/London"))
@example(sc=dst_scenario("Australia/Lord_Howe", date(2026, 10, 4), "Asia/Kolkata"))
@example(sc=dst_scenario("Pacific/Chatham", date(2026, 4, 5)))
def test_slots_match_the_minute_by_minute_reference(world, sc):
    check(sc, world)


@pytest.mark.parametrize(("zone", "day"), [(zone, day) for zone in ZONES for day in DST_DAYS[zone] or [date(2026, 3, 8)]])
def test_every_daylight_saving_change_matches_the_reference(world, zone, day):
    other = ZONES[(ZONES.index(zone) + 1) % len(ZONES)]
    for practice_zone in (zone, other):
        assert check(dst_scenario(zone, day, practice_zone), world)


# --- Worked examples ---------------------------------------------------------------------------------

NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)


def _book(world, start, minutes, **fields):
    return Session.objects.create(practice=world.home.practice, practitioner=world.home.practitioner, start=start,
                                  end=start + timedelta(minutes=minutes), time_zone="America/New_York", **fields)


def _hours(world, weekday, start, end, **fields):
    WeeklyHours.objects.create(practice=world.home.practice, practitioner=world.home.practitioner, weekday=weekday,
                               start_time=start, end_time=end, **fields)


def _settings(world, *, step=30, before=0, after=0, notice=0, horizon=60, zone="America/New_York", practice_zone=None):
    practice = world.home.practice
    practice.booking_slot_step_minutes, practice.booking_min_notice_hours, practice.booking_horizon_days = step, notice, horizon
    practice.booking_buffer_before_minutes, practice.booking_buffer_after_minutes = before, after
    practice.time_zone = practice_zone or zone
    practice.save()
    world.home.practitioner.time_zone = zone
    world.home.practitioner.save(update_fields=["time_zone"])


def _local_slots(world, day, minutes, now=None, zone=NY, **kwargs):
    start = datetime.combine(day, time(0), tzinfo=zone)
    got = slots(practice=world.home.practice, practitioner=world.home.practitioner, minutes=minutes,
                window_start=start, window_end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
                now=now or start - timedelta(days=1), **kwargs)
    return [f"{s.astimezone(zone):%H:%M}" for s in got]


def test_a_monday_morning_offers_every_half_hour_that_fits_a_50_minute_session(world):
    assert MONDAY.weekday() == 0
    _settings(world, step=30)
    _hours(world, 0, time(9), time(12))
    assert _local_slots(world, MONDAY, 50) == ["09:00", "09:30", "10:00", "10:30", "11:00"]  # 11:30 would end 12:20


def test_a_session_with_a_buffer_after_removes_the_starts_that_overlap_it(world):
    """A session 10:00-10:50 with 10 minutes kept free after it holds 10:00-11:00: 09:30 (ends 10:20),
    10:00 and 10:30 go; 09:00 (ends 09:50) and 11:00 (starts as the buffer ends) stay."""
    _settings(world, step=30, after=10)
    _hours(world, 0, time(9), time(12))
    _book(world, datetime.combine(MONDAY, time(10), tzinfo=NY), 50)
    assert _local_slots(world, MONDAY, 50) == ["09:00", "11:00"]


def test_a_buffer_before_a_session_is_time_no_booking_may_end_in(world):
    """A session at 11:00 with 10 minutes before it: 10:00 (ends 10:50, the buffer's start) stays;
    10:10 would end 11:00, inside the buffer."""
    _settings(world, step=10, before=10)
    _hours(world, 0, time(10), time(12))
    _book(world, datetime.combine(MONDAY, time(11), tzinfo=NY), 60)
    assert _local_slots(world, MONDAY, 50) == ["10:00"]


def test_canceled_sessions_do_not_block_and_requested_ones_and_other_practices_do(world):
    _settings(world, step=60)
    _hours(world, 0, time(9), time(13))
    _book(world, datetime.combine(MONDAY, time(9), tzinfo=NY), 50, status=SessionStatus.CANCELED)
    _book(world, datetime.combine(MONDAY, time(10), tzinfo=NY), 50, booking_state=BookingState.REQUESTED)
    start = datetime.combine(MONDAY, time(11), tzinfo=NY)
    Session.objects.create(practice=world.outsider.practice, practitioner=world.home.practitioner, start=start,
                           end=start + timedelta(minutes=50), time_zone="America/New_York")
    assert _local_slots(world, MONDAY, 50) == ["09:00", "12:00"]


def test_the_session_being_rescheduled_does_not_block_itself(world):
    _settings(world, step=60)
    _hours(world, 0, time(9), time(12))
    session = _book(world, datetime.combine(MONDAY, time(10), tzinfo=NY), 50)
    assert _local_slots(world, MONDAY, 50) == ["09:00", "11:00"]
    assert _local_slots(world, MONDAY, 50, exclude_session=session.pk) == ["09:00", "10:00", "11:00"]


def test_days_off_closures_and_dated_ranges(world):
    _settings(world, step=60)
    _hours(world, 0, time(9), time(11), valid_until=MONDAY - timedelta(days=1))
    _hours(world, 0, time(14), time(16), valid_from=MONDAY)
    assert _local_slots(world, MONDAY, 50) == ["14:00", "15:00"]
    DayOff.objects.create(practice=world.home.practice, practitioner=world.home.practitioner, first_day=MONDAY, last_day=MONDAY)
    assert _local_slots(world, MONDAY, 50) == []
    assert _local_slots(world, MONDAY + timedelta(weeks=1), 50) == ["14:00", "15:00"]
    Closure.objects.create(practice=world.home.practice, title="Holiday", start_date=MONDAY + timedelta(weeks=1),
                           end_date=MONDAY + timedelta(weeks=1))
    assert _local_slots(world, MONDAY + timedelta(weeks=1), 50) == []


def test_a_session_ending_at_the_practices_midnight_before_a_closed_day_is_offered(world):
    """Closure dates are the practice's (London here, the practitioner is in New York) and the
    end is exclusive: 18:00-19:00 in New York is 23:00-24:00 in London, so it touches the closed
    Tuesday only at its end; one minute longer and it is on the Tuesday."""
    _settings(world, step=60, practice_zone="Europe/London")
    _hours(world, 0, time(17), time(20))
    Closure.objects.create(practice=world.home.practice, title="Holiday", start_date=MONDAY + timedelta(days=1),
                           end_date=MONDAY + timedelta(days=1))
    assert _local_slots(world, MONDAY, 60) == ["17:00", "18:00"]  # 19:00 is 00:00 on the Tuesday in London
    assert _local_slots(world, MONDAY, 61) == ["17:00"]


def test_spring_forward_in_new_york_skips_the_missing_hour(world):
    """Sunday 8 March 2026 02:00 EST becomes 03:00 EDT. A 01:00-04:00 range is two real hours:
    01:00, 01:30, then 02:00 and 02:30 (which do not exist) move forward to 03:00 and 03:30."""
    day = date(2026, 3, 8)
    _settings(world, step=30)
    _hours(world, day.weekday(), time(1), time(4))
    assert _local_slots(world, day, 30) == ["01:00", "01:30", "03:00", "03:30"]
    got = slots(practice=world.home.practice, practitioner=world.home.practitioner, minutes=30,
                window_start=datetime(2026, 3, 8, tzinfo=UTC), window_end=datetime(2026, 3, 9, tzinfo=UTC),
                now=datetime(2026, 3, 1, tzinfo=UTC))
    assert [f"{s:%H:%M}" for s in got] == ["06:00", "06:30", "07:00", "07:30"]  # UTC: no hour is lost or doubled


def test_fall_back_in_new_york_offers_the_repeated_hour_once(world):
    """Sunday 1 November 2026 02:00 EDT becomes 01:00 EST. The grid's 01:00 and 01:30 are their first
    occurrence (EDT); the second 01:00-02:00 (EST) is not on the grid. A 60-minute session at
    02:00 EST ends 03:00 EST, the range's end; at 02:30 it would not fit."""
    day = date(2026, 11, 1)
    _settings(world, step=30)
    _hours(world, day.weekday(), time(0), time(3))
    got = slots(practice=world.home.practice, practitioner=world.home.practitioner, minutes=60,
                window_start=datetime.combine(day, time(0), tzinfo=NY), window_end=datetime.combine(day, time(12), tzinfo=NY),
                now=datetime(2026, 10, 25, tzinfo=UTC))
    assert [f"{s.astimezone(NY):%H:%M %Z}" for s in got] == ["00:00 EDT", "00:30 EDT", "01:00 EDT", "01:30 EDT", "02:00 EST"]
    assert [f"{s:%H:%M}" for s in got] == ["04:00", "04:30", "05:00", "05:30", "07:00"]


def test_minimum_notice_is_inclusive_at_the_exact_boundary(world):
    _settings(world, step=30, notice=24)
    _hours(world, 0, time(9), time(11))
    nine = datetime.combine(MONDAY, time(9), tzinfo=NY)
    assert _local_slots(world, MONDAY, 50, now=nine - timedelta(hours=24)) == ["09:00", "09:30", "10:00"]
    assert _local_slots(world, MONDAY, 50, now=nine - timedelta(hours=24) + MINUTE) == ["09:30", "10:00"]
    assert is_free(practice=world.home.practice, practitioner=world.home.practitioner, minutes=50, start=nine,
                   now=nine - timedelta(hours=24))
    assert not is_free(practice=world.home.practice, practitioner=world.home.practitioner, minutes=50, start=nine,
                       now=nine - timedelta(hours=24) + timedelta(seconds=1))


def test_the_horizon_is_inclusive_at_the_exact_boundary(world):
    _settings(world, step=30, horizon=7)
    _hours(world, 0, time(9), time(11))
    ten = datetime.combine(MONDAY, time(10), tzinfo=NY)
    assert _local_slots(world, MONDAY, 50, now=ten - timedelta(days=7)) == ["09:00", "09:30", "10:00"]
    assert _local_slots(world, MONDAY, 50, now=ten - timedelta(days=7) - MINUTE) == ["09:00", "09:30"]
    assert is_free(practice=world.home.practice, practitioner=world.home.practitioner, minutes=50, start=ten,
                   now=ten - timedelta(days=7))
    assert not is_free(practice=world.home.practice, practitioner=world.home.practitioner, minutes=50, start=ten,
                       now=ten - timedelta(days=7) - timedelta(seconds=1))


@pytest.mark.parametrize("sessions", [0, 300])
def test_ninety_days_of_slots_take_at_most_six_queries(world, django_assert_max_num_queries, sessions):
    _settings(world, step=15, before=5, after=10, horizon=120)
    for weekday in range(5):
        _hours(world, weekday, time(9), time(17))
    first = MONDAY
    starts = [datetime.combine(first + timedelta(days=n), time(hour, minute), tzinfo=NY)
              for n in range(90) if (first + timedelta(days=n)).weekday() < 5
              for hour, minute in ((9, 0), (10, 30), (12, 0), (13, 30), (15, 0))][:sessions]
    Session.objects.bulk_create(
        Session(practice=world.home.practice, practitioner=world.home.practitioner, start=s, end=s + timedelta(minutes=50),
                time_zone="America/New_York", access_code=f"{n:09d}")
        for n, s in enumerate(starts))
    assert len(starts) == sessions
    window_start = datetime.combine(first, time(0), tzinfo=NY)
    with django_assert_max_num_queries(6):
        got = slots(practice=world.home.practice, practitioner=world.home.practitioner, minutes=50, window_start=window_start,
                    window_end=window_start + timedelta(days=90), now=window_start - timedelta(days=1))
    weekdays = sum(1 for n in range(90) if (first + timedelta(days=n)).weekday() < 5)
    if sessions:
        assert 0 < len(got) < weekdays * 29
    else:
        assert len(got) == weekdays * 29  # 09:00 .. 16:00 every 15 minutes, 29 a day
