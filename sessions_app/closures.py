"""Closures: days the practice is closed. Dates are in the practice's time zone."""
import zoneinfo
from datetime import date

from django.db import transaction

from practice.errors import DomainError
from practice.periods import EARLIEST_DAY, LATEST_DAY
from sessions_app.models import Closure

OUT_OF_RANGE = f"Enter a date between {EARLIEST_DAY.year} and {LATEST_DAY.year}."
INVERTED = "The last day cannot be before the first day."


def closures_between(practice, first_day: date, last_day: date):
    """The practice's closures that touch the days first_day..last_day (inclusive)."""
    return Closure.objects.filter(practice=practice, start_date__lte=last_day, end_date__gte=first_day)


def closure_on(day: date, closures):
    """The closure (from an already-fetched list) covering ``day``, or None."""
    return next((c for c in closures if c.start_date <= day <= c.end_date), None)


def mark_closures(sessions, practice):
    """Set ``session.closure`` on each session (a list) that falls on a closed day; one query."""
    sessions = list(sessions)
    if not sessions:
        return sessions
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    days = [s.start.astimezone(zone).date() for s in sessions]
    closures = list(closures_between(practice, min(days), max(days)))
    for session, day in zip(sessions, days, strict=True):
        session.closure = closure_on(day, closures)
    return sessions


def check_dates(start_date: date, end_date: date) -> None:
    """Refuse (DomainError) days outside practice.periods' sane years, where date arithmetic
    overflows (the day after 9999-12-31), and a last day before the first."""
    if not (EARLIEST_DAY <= start_date <= LATEST_DAY and EARLIEST_DAY <= end_date <= LATEST_DAY):
        raise DomainError(OUT_OF_RANGE, code="out_of_range")
    if end_date < start_date:
        raise DomainError(INVERTED, code="inverted")


@transaction.atomic
def add_closure(*, practice, actor, title: str, start_date: date, end_date: date) -> Closure:
    check_dates(start_date, end_date)
    return Closure.objects.create(practice=practice, created_by=actor, title=title, start_date=start_date, end_date=end_date)


def sessions_in_closure(closure):
    """Live sessions on the closure's days (practice-local dates): the ones to notice and fix."""
    from datetime import datetime, time, timedelta

    from sessions_app.models import Session, SessionStatus

    zone = zoneinfo.ZoneInfo(closure.practice.time_zone)
    first = datetime.combine(closure.start_date, time(0), tzinfo=zone)
    last = datetime.combine(closure.end_date + timedelta(days=1), time(0), tzinfo=zone)
    return Session.objects.filter(practice=closure.practice, start__gte=first, start__lt=last).exclude(status=SessionStatus.CANCELED)
