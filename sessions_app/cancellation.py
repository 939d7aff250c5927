"""The cancellation tool (SESSIONS > CANCELLATIONS): a range of dates or a single date
canceled at once, for bad weather or a holiday.

``affected_sessions`` is what the page lists live; ``apply`` does it, in one
transaction: notify and cancel, cancel but do not notify, or notify only, and
optionally a closure for the dates. Dates are whole days in the practice's
time zone.

A canceled session with client participants is saved with the practice's
default "Canceled" completion type through ``completion.save_session`` (no
charge, no wages: ledger lines of 0); one without clients is simply set to
canceled. Every message goes through the outbox in the same transaction
(DESIGN.md invariant 5); "System should not send invite" participants get none.
"""
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models, transaction

from notifications.models import Notification, NotificationKind
from practice.errors import DomainError, NotAllowed
from practice.models import Role
from sessions_app import closures, completion, messages, scheduling
from sessions_app.models import Closure, CompletionType, Session, SessionStatus

MAX_DAYS = 366


class Action(models.TextChoices):
    NOTIFY_AND_CANCEL = "notify_cancel", "Notify and cancel"
    CANCEL = "cancel", "Cancel but do not notify"
    NOTIFY = "notify", "Notify only"


NOTIFYING = (Action.NOTIFY_AND_CANCEL, Action.NOTIFY)
CANCELING = (Action.NOTIFY_AND_CANCEL, Action.CANCEL)


@dataclass
class Result:
    action: str
    sessions: int = 0
    canceled: int = 0
    notified: int = 0
    closure: Closure | None = None


def day_bounds(practice, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The first instant of ``first_day`` and of the day after ``last_day`` in the practice's zone."""
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    utc = zoneinfo.ZoneInfo("UTC")

    def midnight(day):
        # Normalised through UTC, so a midnight skipped by a DST change moves forward.
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(utc)

    return midnight(first_day), midnight(last_day + timedelta(days=1))


def _check_member(membership, practitioner):
    """Office roles may use the tool for everyone; a practitioner only for their own sessions."""
    if membership is None or membership.role == Role.CLIENT:
        raise NotAllowed("Only the practice team may use the cancellation tool.")
    if membership.role == Role.PRACTITIONER and (practitioner is None or practitioner.pk != membership.user_id):
        raise NotAllowed("Practitioners may cancel their own sessions only.")


def affected_sessions(*, practice, membership, first_day: date, last_day: date | None = None, practitioner=None, room=None):
    """Scheduled sessions starting on the days first_day..last_day (practice zone) that match the filters.

    Soonest first, with what the live list shows in a fixed number of queries.
    A practitioner only ever gets their own sessions, whatever ``practitioner`` says.
    """
    if membership is not None and membership.role == Role.PRACTITIONER:
        practitioner = membership.user
    _check_member(membership, practitioner)
    start, end = day_bounds(practice, first_day, last_day or first_day)
    sessions = Session.objects.filter(practice=practice, status=SessionStatus.SCHEDULED, start__gte=start, start__lt=end)
    if practitioner is not None:
        sessions = sessions.filter(practitioner=practitioner)
    if room is not None:
        sessions = sessions.filter(room=room)
    return (sessions.select_related("practice", "practitioner", "room")
            .prefetch_related("participants").order_by("start", "pk"))


def canceled_type(practice) -> CompletionType:
    """The practice's default "Canceled" completion type (no charge, no wages)."""
    kind = CompletionType.objects.filter(practice=practice, default_key="canceled").first()
    if kind is None:
        completion.ensure_default_types(practice)
        kind = CompletionType.objects.get(practice=practice, default_key="canceled")
    if not kind.enabled:
        raise DomainError(
            f"The “{kind.label}” completion option is turned off for this practice, so sessions cannot be saved as "
            "canceled. Turn it on again in the completion types, or choose “Notify only”.",
            code="canceled_type_disabled",
        )
    return kind


def _count_messages(session_ids, kind) -> int:
    return Notification.objects.filter(session_id__in=session_ids, kind=kind).count()


@transaction.atomic
def apply(*, practice, actor, membership, first_day: date, last_day: date | None = None, practitioner=None, room=None,
          action: str, message: str = "", closure_title: str = "") -> Result:
    """Cancel and/or notify every affected session, and add a closure when ``closure_title`` is given.

    All or nothing: any error rolls the whole change back.
    """
    last_day = last_day or first_day
    if membership is not None and membership.role == Role.PRACTITIONER:
        practitioner = practitioner or membership.user
    _check_member(membership, practitioner)
    if action not in Action.values:
        raise DomainError("Choose what to do: notify and cancel, cancel but do not notify, or notify only.")
    if last_day < first_day:
        raise DomainError("The last date cannot be before the first date.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise DomainError(f"Choose at most {MAX_DAYS} days at a time.")
    message = (message or "").strip()
    if action in NOTIFYING and not message:
        raise DomainError("Write the message to send.")
    if room is not None and room.practice_id != practice.pk:
        raise DomainError("That room does not belong to this practice.")
    if practitioner is not None and not practitioner.memberships.filter(practice=practice).exists():
        raise DomainError("That practitioner does not belong to this practice.")

    queryset = affected_sessions(practice=practice, membership=membership, first_day=first_day, last_day=last_day,
                                 practitioner=practitioner, room=room)
    # Lock the rows first (a session saved or moved meanwhile drops out), then read them with their participants.
    ids = list(Session.objects.filter(pk__in=queryset.values("pk")).select_for_update(of=("self",))
               .filter(status=SessionStatus.SCHEDULED).values_list("pk", flat=True))
    sessions = list(queryset.filter(pk__in=ids))
    result = Result(action=action, sessions=len(sessions))
    notify = action in NOTIFYING
    kind = NotificationKind.NOTICE if action == Action.NOTIFY else NotificationKind.CANCEL
    before = _count_messages(ids, kind) if notify else 0

    if action in CANCELING:
        outcome = completion.Outcome(canceled_type(practice)) if any(
            p.is_client for s in sessions for p in s.participants.all()) else None
        for session in sessions:
            participants = list(session.participants.all())
            clients = [p for p in participants if p.is_client]
            if clients:
                completion.save_session(practice=practice, actor=actor, membership=membership, session=session,
                                        outcomes={p.pk: outcome for p in clients})
                # save_session withdrew the reminders; this withdraws anything else pending and writes the notices.
                messages.cancel(session, participants, message=message, notify=notify)
            else:
                scheduling.cancel_session(practice=practice, actor=actor, session=session, message=message, notify=notify)
            result.canceled += 1
    else:
        for session in sessions:
            messages.notice(session, list(session.participants.all()), message=message)

    if notify:
        result.notified = _count_messages(ids, kind) - before
    if closure_title.strip():
        result.closure = closures.add_closure(practice=practice, actor=actor, title=closure_title.strip(),
                                              start_date=first_day, end_date=last_day)
    return result


def summary(result: Result) -> str:
    """The sentence shown after applying, in plain words."""

    def plural(count, word):
        return f"{count} {word}{'' if count == 1 else 's'}"

    if result.action == Action.NOTIFY:
        text = (f"Notified {plural(result.notified, 'participant')} about {plural(result.sessions, 'session')}. "
                "Nothing was canceled.") if result.sessions else "No scheduled sessions matched; no one was notified."
    elif not result.sessions:
        text = "No scheduled sessions matched; nothing was canceled."
    elif result.action == Action.CANCEL:
        text = f"Canceled {plural(result.canceled, 'session')}. No one was notified."
    else:
        text = f"Canceled {plural(result.canceled, 'session')} and notified {plural(result.notified, 'participant')}."
    if result.closure is not None:
        text += f" Added the closure “{result.closure}”."
    return text
