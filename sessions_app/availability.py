"""Free slots for booking from the client portal: the one rule the portal lists and books by
(DESIGN.md invariant 9). ``booking.book`` re-runs ``slots`` for the exact start under the
practitioner's bookings lock; the exclusion constraints on Session stay the backstop.

A slot is a start time, offered when all of these hold:

- it is on the grid of one of the practitioner's weekly-hours ranges that applies that day:
  the range's From time plus a whole number of slot steps, read as a wall time on a naive
  date in the practitioner's zone, then given the zone with the written rule of
  ``practice.timezones.wall_time_to_aware`` (a time skipped by a daylight-saving change moves
  forward by the gap; a time that happens twice is its first occurrence);
- the session (start plus the service's length, elapsed time) ends by the range's To time;
- the day is not one of the practitioner's days off, and neither the start's nor the end's
  day (in the practice's zone) is a closure;
- it starts at least the minimum notice after now and at most the horizon after now;
- it overlaps none of the practitioner's sessions that are not canceled (requested ones
  included, in any practice), each widened by the practice's buffers: the buffer before a
  session is time no booking may end in, the buffer after is time no booking may start in.
"""
import zoneinfo
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from practice.models import DayOff, WeeklyHours
from practice.timezones import wall_time_to_aware
from sessions_app.closures import closures_between
from sessions_app.models import Session, SessionStatus


@dataclass(frozen=True)
class Rules:
    """A practice's booking settings as durations."""

    notice: timedelta
    horizon: timedelta
    before: timedelta
    after: timedelta
    step: timedelta

    @classmethod
    def of(cls, practice) -> "Rules":
        return cls(
            notice=timedelta(hours=practice.booking_min_notice_hours),
            horizon=timedelta(days=practice.booking_horizon_days),
            before=timedelta(minutes=practice.booking_buffer_before_minutes),
            after=timedelta(minutes=practice.booking_buffer_after_minutes),
            step=timedelta(minutes=practice.booking_slot_step_minutes),
        )


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _candidates(hours, days_off, first: date, last: date, zone, length: timedelta, step: timedelta) -> set:
    """The grid starts (UTC) of the ranges that apply on the practitioner's days first..last."""
    starts = set()
    for day in _days(first, last):
        if day in days_off:
            continue
        for row in hours:
            if not row.applies_on(day):
                continue
            range_end = wall_time_to_aware(day, row.end_time, zone.key)
            wall, last_wall = datetime.combine(day, row.start_time), datetime.combine(day, row.end_time)
            while wall < last_wall:
                start = wall_time_to_aware(day, wall.time(), zone.key).astimezone(UTC)
                if start + length <= range_end:
                    starts.add(start)
                wall += step
    return starts


def _busy(practitioner, earliest: datetime, latest: datetime, length: timedelta, rules: Rules, exclude_session):
    """The practitioner's sessions near the window, widened by the buffers, merged and sorted:
    (starts, ends), two lists for bisecting."""
    sessions = (
        Session.objects.filter(practitioner=practitioner, start__lt=latest + length + rules.before, end__gt=earliest - rules.after)
        .exclude(status=SessionStatus.CANCELED)
        .order_by("start")
    )
    if exclude_session is not None:
        sessions = sessions.exclude(pk=exclude_session)
    starts, ends = [], []
    for start, end in sessions.values_list("start", "end"):
        start, end = start - rules.before, end + rules.after
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlaps(start: datetime, end: datetime, busy_starts, busy_ends) -> bool:
    index = bisect_left(busy_starts, end) - 1  # the last busy interval that begins before ``end``
    return index >= 0 and busy_ends[index] > start


def slots(*, practice, practitioner, minutes: int, window_start: datetime, window_end: datetime,
          now: datetime | None = None, exclude_session: int | None = None, ignore_sessions: bool = False) -> list[datetime]:
    """The free starts (aware, UTC, sorted) in [window_start, window_end) for a session of
    ``minutes`` with ``practitioner``; ``exclude_session`` is left out of the busy times (the
    session being rescheduled); ``ignore_sessions`` lists what the hours offer, busy or not
    (to tell "just taken" from "never offered"). Four queries whatever the data: weekly hours, days off,
    closures and sessions."""
    now = now or timezone.now()
    rules = Rules.of(practice)
    length = timedelta(minutes=minutes)
    earliest = max(window_start, now + rules.notice)
    latest = min(window_end, now + rules.horizon + timedelta(microseconds=1))
    if earliest >= latest:
        return []
    zone = zoneinfo.ZoneInfo(practitioner.time_zone)
    first, last = earliest.astimezone(zone).date(), latest.astimezone(zone).date()

    hours = list(WeeklyHours.objects.filter(practitioner=practitioner, practice=practice, weekday__in=_weekdays(first, last))
                 .exclude(valid_until__lt=first).exclude(valid_from__gt=last))
    if not hours:
        return []
    days_off = set()
    for row in DayOff.objects.filter(practitioner=practitioner, practice=practice, first_day__lte=last, last_day__gte=first):
        days_off.update(_days(max(row.first_day, first), min(row.last_day, last)))
    candidates = sorted(s for s in _candidates(hours, days_off, first, last, zone, length, rules.step) if earliest <= s < latest)
    if not candidates:
        return []

    practice_zone = zoneinfo.ZoneInfo(practice.time_zone)
    closed = set()
    closure_first = candidates[0].astimezone(practice_zone).date()
    closure_last = (candidates[-1] + length).astimezone(practice_zone).date()
    for closure in closures_between(practice, closure_first, closure_last):
        closed.update(_days(max(closure.start_date, closure_first), min(closure.end_date, closure_last)))
    if ignore_sessions:
        busy_starts, busy_ends = [], []
    else:
        busy_starts, busy_ends = _busy(practitioner, candidates[0], candidates[-1], length, rules, exclude_session)

    free = []
    for start in candidates:
        end = start + length
        if closed and (start.astimezone(practice_zone).date() in closed
                       or (end - timedelta(microseconds=1)).astimezone(practice_zone).date() in closed):
            continue
        if _overlaps(start, end, busy_starts, busy_ends):
            continue
        free.append(start)
    return free


def _weekdays(first: date, last: date) -> list[int]:
    return sorted({day.weekday() for day in _days(first, min(last, first + timedelta(days=6)))})


def is_free(*, practice, practitioner, minutes: int, start: datetime, now=None, exclude_session=None) -> bool:
    """Whether ``start`` is one of the listed slots: the check a booking makes under its lock."""
    window_end = start + timedelta(microseconds=1)
    return start in slots(practice=practice, practitioner=practitioner, minutes=minutes, window_start=start,
                          window_end=window_end, now=now, exclude_session=exclude_session)


def slots_by_day(*, practice, practitioner, minutes: int, first_day: date, last_day: date, zone_name: str,
                 now=None, exclude_session=None) -> dict[date, list[datetime]]:
    """The free starts of the days first_day..last_day in the viewer's zone ``zone_name``, each
    start in that zone, grouped by its day there (the portal's month strip and day list)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    window_end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    by_day: dict[date, list[datetime]] = {}
    for start in slots(practice=practice, practitioner=practitioner, minutes=minutes, window_start=window_start,
                       window_end=window_end, now=now, exclude_session=exclude_session):
        local = start.astimezone(zone)
        by_day.setdefault(local.date(), []).append(local)
    return by_day
