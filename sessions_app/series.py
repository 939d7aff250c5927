"""Recurring series: expanding the rule, previewing, materialising occurrences.

Wall-clock rule (DESIGN.md invariant 2): the rule is expanded on *naive* local
times in the series' zone and the zone is attached afterwards, so a 09:00
session stays at 09:00 across daylight-saving changes. A wall time that does
not exist on a given day (spring-forward gap) moves forward by the gap
(02:30 -> 03:30); a time that happens twice (fall-back fold) takes the first.
"""
import zoneinfo
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate

import recurrence
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from practice.errors import CONSTRAINT_MESSAGES, Conflict, DomainError
from practice.models import Service
from practice.timezones import ends_at, wall_time_to_aware
from sessions_app import closures as closure_rules
from sessions_app import messages
from sessions_app.models import (
    Contact,
    Participant,
    Session,
    SessionSeries,
    SessionService,
    SessionStatus,
)
from sessions_app.scheduling import (
    KEEP_DOCUMENTS,
    SlotOnClosure,
    _insert_sessions,
    _lock_booking,
    _remember_contacts,
    _send_documents,
    check_services,
    check_slot,
    update_session,
)

# How far ahead a never-ending series is materialised; a beat task keeps it there.
HORIZON_DAYS = 84
# Hard cap on one series, whatever count or end date is asked for.
MAX_OCCURRENCES = 520

WEEKDAYS = [recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR, recurrence.SA, recurrence.SU]


def nth_weekday(day: date):
    """The rule weekday for 'the same weekday of the month' as ``day`` (5th becomes last)."""
    nth = (day.day - 1) // 7 + 1
    return recurrence.Weekday(day.weekday(), -1 if nth == 5 else nth)


def build_rule(*, preset, first_day, weekdays=(), frequency="weekly", interval=1):
    """A django-recurrence Recurrence for a preset or a custom choice.

    ``weekdays`` are ints (0 = Monday); empty means the first day's weekday.
    """
    days = sorted(set(weekdays)) or [first_day.weekday()]
    if preset == "weekly":
        rule = recurrence.Rule(recurrence.WEEKLY, byday=[WEEKDAYS[first_day.weekday()]])
    elif preset == "biweekly":
        rule = recurrence.Rule(recurrence.WEEKLY, interval=2, byday=[WEEKDAYS[first_day.weekday()]])
    elif preset == "monthly":
        rule = recurrence.Rule(recurrence.MONTHLY, byday=[nth_weekday(first_day)])
    elif frequency == "monthly":
        nth = nth_weekday(first_day).index
        rule = recurrence.Rule(recurrence.MONTHLY, interval=interval, byday=[recurrence.Weekday(d, nth) for d in days])
    else:
        rule = recurrence.Rule(recurrence.WEEKLY, interval=interval, byday=[WEEKDAYS[d] for d in days])
    return recurrence.Recurrence(rrules=[rule])


def occurrence_days(series: SessionSeries, *, through: date | None = None) -> list[date]:
    """The local dates of the series' occurrences, first day included.

    Ends after ``count``, on ``until``, or (never-ending) on ``through``.
    """
    first = datetime.combine(series.first_day, time(0, 0))
    if series.until:
        last_day = series.until
    elif series.count:
        last_day = series.first_day + timedelta(days=366 * 10)
    else:
        last_day = through or series.first_day + timedelta(days=HORIZON_DAYS)
    ruleset = series.rule.to_dateutil_rruleset(dtstart=first)
    ruleset.rdate(first)  # the first session is always an occurrence
    days = []
    for moment in ruleset:
        if moment.date() > last_day or len(days) >= (series.count or MAX_OCCURRENCES):
            break
        if moment.date() >= series.first_day:
            days.append(moment.date())
    return days


def occurrence_start(series: SessionSeries, day: date) -> datetime:
    return wall_time_to_aware(day, series.start_time, series.time_zone)


@dataclass
class Occurrence:
    day: date
    start: datetime
    end: datetime
    conflict: str = ""
    closure: object = None

    @property
    def flagged(self) -> bool:
        return bool(self.conflict or self.closure)


def preview(series: SessionSeries, days: list[date]) -> list[Occurrence]:
    """Each occurrence with what stands in its way: another session or a closure. Reads only."""
    items = [
        Occurrence(day, start, ends_at(start, series.duration_minutes))
        for day in days for start in [occurrence_start(series, day)]
    ]
    if not items:
        return items
    busy = Session.objects.filter(
        practice=series.practice, start__lt=items[-1].end, end__gt=items[0].start
    ).exclude(status=SessionStatus.CANCELED)
    if series.pk:
        busy = busy.exclude(series=series)
    who = Q(practitioner=series.practitioner)
    if series.room_id and series.room.is_in_person:
        who |= Q(room=series.room)
    busy = sorted(busy.filter(who).values("start", "end", "practitioner_id", "room_id"), key=lambda other: other["start"])
    closures = list(closure_rules.closures_between(series.practice, items[0].day, items[-1].day))
    now = timezone.now()
    starts = [other["start"] for other in busy]
    latest_ends = list(accumulate((other["end"] for other in busy), max))  # the latest end among busy[:i + 1]
    for item in items:
        # The first busy session (by start) overlapping the item: of those starting before the item ends,
        # the first whose end is after the item's start (where the running latest end first passes it).
        first = bisect_right(latest_ends, item.start)
        if first < bisect_left(starts, item.end):
            same_host = busy[first]["practitioner_id"] == series.practitioner_id
            item.conflict = CONSTRAINT_MESSAGES["no_double_booking_practitioner" if same_host else "no_double_booking_room"][1]
        try:
            check_slot(practice=series.practice, start=item.start, end=item.end, now=now, closures=closures)
        except SlotOnClosure as refused:
            item.closure = refused.closure
        except DomainError as refused:
            item.conflict = item.conflict or refused.message
    return items


def _template_contacts(series):
    """The contacts the series' participant template points to, by id."""
    ids = [p.get("contact") for p in series.participants if p.get("contact")]
    return {c.pk: c for c in Contact.objects.filter(pk__in=ids)}


@transaction.atomic
def materialise(series: SessionSeries, days: list[date], *, actor=None) -> tuple[list[Session], list[date]]:
    """Create a session for each day not yet made and not skipped; return (made, refused days).

    A day taken meanwhile by another booking is refused, not half-written. The batch is written in
    sets, under the booking locks: one overlap check for every day (``scheduling._insert_sessions``),
    one INSERT of the sessions, one of their services, one of their participants, and one read and one
    INSERT of their reminders; the query count does not grow with the number of sessions.
    """
    done = set(Session.objects.filter(series=series).values_list("series_day", flat=True))
    services = {s.pk: s for s in Service.objects.filter(pk__in=[row[0] for row in series.services])}
    contacts = _template_contacts(series)
    room = _lock_booking(series.practitioner_id, series.room_id)  # held until commit; the room's kind too
    skipped = set(series.skipped_days)
    drafts = []
    for day in days:
        if day in done or day in skipped:
            continue
        start = occurrence_start(series, day)
        drafts.append(Session(
            practice=series.practice, practitioner=series.practitioner, room=room, series=series, series_day=day,
            start=start, end=ends_at(start, series.duration_minutes), time_zone=series.time_zone,
            delivery_method=series.delivery_method, public_note=series.public_note,
            private_note=series.private_note, created_by=actor,
        ))
    made, refused_sessions = _insert_sessions(drafts, practitioner_id=series.practitioner_id, room=room)
    refused = [session.series_day for session in refused_sessions]
    SessionService.objects.bulk_create(
        SessionService(session=session, service=services[sid], price=Decimal(price), position=i)
        for session in made for i, (sid, price) in enumerate(series.services) if sid in services
    )
    people = Participant.objects.bulk_create(
        Participant(
            session=session, name=p["name"], invite_method=p["invite_method"], email=p.get("email", ""),
            phone=p.get("phone", ""), time_zone=p["time_zone"], is_client=p.get("is_client", True),
            contact=contacts.get(p.get("contact")), client_id=getattr(contacts.get(p.get("contact")), "client_id", None),
        )
        for session in made for p in series.participants
    )
    messages.schedule_reminders_for([(participant.session, participant) for participant in people])
    if refused:
        series.skipped_days = sorted(set(series.skipped_days) | set(refused))
    if days:
        series.materialised_until = max([series.materialised_until or days[-1], days[-1]])
    series.save(update_fields=["skipped_days", "materialised_until"])
    return made, refused


def extend_horizon(series: SessionSeries, today: date) -> int:
    """Materialise an enabled never-ending series up to ``today + HORIZON_DAYS``; idempotent."""
    if not series.enabled or not series.never_ends:
        return 0
    made, _refused = materialise(series, occurrence_days(series, through=today + timedelta(days=HORIZON_DAYS)))
    return len(made)


def new_series(*, practice, actor, data, repeat: dict) -> SessionSeries:
    """An unsaved series built from the session form's data and its repeat choices.

    It repeats the wall time the person typed: a first session typed at 02:30 in a
    spring-forward gap is held at 03:30 that day, and the series stays at 02:30.
    """
    first_day, start_time = data.typed_day_and_time()
    series = SessionSeries(
        practice=practice, practitioner=data.practitioner, preset=repeat["preset"],
        first_day=first_day, start_time=start_time, time_zone=data.time_zone,
        duration_minutes=data.duration_minutes, count=repeat.get("count"), until=repeat.get("until"),
        enabled=repeat.get("enabled", True), room=data.room, delivery_method=data.delivery_method,
        public_note=data.public_note, private_note=data.private_note, created_by=actor,
        services=[[service.pk, str(price)] for service, price in data.services],
        participants=[
            {"name": p.name, "invite_method": p.invite_method, "email": p.email, "phone": p.phone,
             "time_zone": p.time_zone, "is_client": p.is_client, "contact": p.contact.pk if p.contact else None}
            for p in data.participants
        ],
    )
    series.rule = build_rule(
        preset=repeat["preset"], first_day=series.first_day, weekdays=repeat.get("weekdays") or (),
        frequency=repeat.get("frequency") or "weekly", interval=repeat.get("interval") or 1,
    )
    return series


def planned_days(series: SessionSeries, today: date) -> list[date]:
    return occurrence_days(series, through=max(today, series.first_day) + timedelta(days=HORIZON_DAYS))


@transaction.atomic
def create_series(*, practice, actor, data, repeat: dict, today: date):
    """Save a series and its sessions, skipping the days that collide or fall on a closure.

    A series that is not enabled is saved with its first session only.
    Returns (series, sessions made, days skipped).
    """
    check_services(kind=data.kind, data=data)
    _remember_contacts(practice, actor, data.participants)
    series = new_series(practice=practice, actor=actor, data=data, repeat=repeat)
    days = planned_days(series, today) if series.enabled else [series.first_day]
    flagged = [item.day for item in preview(series, days) if item.flagged]
    series.skipped_days = flagged
    series.save()
    made, refused = materialise(series, days, actor=actor)
    if made:
        first = made[0]
        people = list(first.participants.all())
        # Documents go with the first session (they are read and signed before it), as the invitation does.
        for participant, wanted in zip(people, data.participants, strict=False):
            _send_documents(participant, wanted, actor)
        messages.invite(first, people, recurrence=recurrence_text(series))
    return series, made, sorted(set(flagged) | set(refused))


def recurrence_text(series: SessionSeries) -> str:
    ends = (f", {series.count} sessions" if series.count else f", until {series.until:%b %d, %Y}" if series.until else "")
    if series.preset == "custom":
        return f"{series.rule.rrules[0].to_text()}{ends}" if series.rule.rrules else ends.lstrip(", ")
    return f"{series.get_preset_display()}{ends}"


@transaction.atomic
def enable_series(*, practice, actor, series: SessionSeries, today: date) -> int:
    series = SessionSeries.objects.select_for_update().get(pk=series.pk, practice=practice)
    series.enabled = True
    series.save(update_fields=["enabled"])
    days = planned_days(series, today)
    flagged = [item.day for item in preview(series, days) if item.flagged]
    series.skipped_days = sorted(set(series.skipped_days) | set(flagged))
    series.save(update_fields=["skipped_days"])
    made, _refused = materialise(series, days, actor=actor)
    return len(made)


def siblings(session: Session, scope: str):
    """The scheduled sessions a series edit or cancel reaches: this, following or all."""
    if scope == "this" or session.series_id is None:
        return Session.objects.filter(pk=session.pk)
    others = Session.objects.filter(series_id=session.series_id, status=SessionStatus.SCHEDULED)
    if scope == "following":
        others = others.filter(start__gte=session.start)
    return others.order_by("start")


@transaction.atomic
def cancel_in_series(*, practice, actor, session: Session, scope: str) -> int:
    """Cancel this, this and following, or all scheduled sessions of the series; stop making more."""
    targets = list(siblings(session, scope).select_for_update())
    for target in targets:
        target.status = SessionStatus.CANCELED
        target.save(update_fields=["status", "updated_at"])
        # One notice, for the session the host canceled from; the others just lose their reminders.
        messages.cancel(target, list(target.participants.all()), notify=target.pk == session.pk)
    if session.series_id and scope in ("following", "all"):
        series = SessionSeries.objects.select_for_update().get(pk=session.series_id)
        if scope == "all":
            series.enabled = False
        else:
            series.count = None
            series.until = (session.series_day or session.start.date()) - timedelta(days=1)
        series.save()
    return len(targets)


@transaction.atomic
def update_in_series(*, practice, actor, session: Session, data, scope: str) -> int:
    """Apply an edit to this, this and following, or all scheduled sessions of the series.

    Each other session keeps its own date, shifted by as many days as this one
    moved, and takes the new wall-clock time, length, room, people and
    services. One collision refuses the whole edit (Conflict).
    """
    old_local = session.start.astimezone(zoneinfo.ZoneInfo(session.time_zone))
    new_day, wall = data.typed_day_and_time()  # the typed time, not the one a gap moved
    shift = new_day - old_local.date()
    count = 0
    for target in siblings(session, scope):
        if target.pk == session.pk:
            update_session(practice=practice, actor=actor, session=target, data=data)
        else:
            day = target.start.astimezone(zoneinfo.ZoneInfo(target.time_zone)).date() + shift
            people = [replace(p, id=None, save_as_contact=False, document_package=KEEP_DOCUMENTS)
                      for p in data.participants]
            moved = replace(data, start=wall_time_to_aware(day, wall, data.time_zone), day=day, wall_time=wall,
                            participants=people)
            try:
                update_session(practice=practice, actor=actor, session=target, data=moved, notify=False)
            except Conflict as conflict:
                raise Conflict(f"On {day:%a %b %d, %Y}: {conflict.message}") from conflict
        count += 1
    if session.series_id and scope in ("following", "all"):
        series = SessionSeries.objects.select_for_update().get(pk=session.series_id)
        template = new_series(practice=practice, actor=actor, data=data, repeat={"preset": series.preset})
        for field in ("practitioner", "start_time", "time_zone", "duration_minutes", "room", "delivery_method",
                      "public_note", "private_note", "services", "participants"):
            setattr(series, field, getattr(template, field))
        series.save()
    return count
