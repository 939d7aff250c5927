"""What participants are told about their sessions: invitations, reminders, moves,
cancellations and notices, worded here and written to the outbox in the caller's
transaction (DESIGN.md invariant 5).

"System should not send invite" means no message of any kind to that participant.
Each message is rendered in the participant's time zone, named.
"""
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from notifications import outbox
from notifications.models import Channel, Notification, NotificationKind, State
from sessions_app import documents, ical, money
from sessions_app.models import InviteMethod

DEFAULT_REMINDER_MINUTES = [1440, 60]
TEMPLATES = "sessions_app/messages"


def _channel(participant):
    if participant.invite_method == InviteMethod.EMAIL and participant.email:
        return Channel.EMAIL, participant.email
    if participant.invite_method == InviteMethod.TEXT and participant.phone:
        return Channel.SMS, participant.phone
    return None, None


def in_zone(moment, zone_name):
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name))


def _context(session, participant, **extra):
    start = in_zone(session.start, participant.time_zone)
    return {
        "practice": session.practice, "session": session, "participant": participant, "host": session.practitioner,
        "start": start, "end": session.end.astimezone(start.tzinfo), "zone": participant.time_zone,
        "zone_abbr": start.strftime("%Z"), "join_url": f"{settings.SITE_URL}/join/", "site_url": settings.SITE_URL,
        "payment": money.payment_due(participant), "pay_url": money.payment_link(participant),
        "documents_url": documents.link(participant), **extra,
    }


def _message(session, participant, kind, *, due_at=None, key=None, **extra) -> dict | None:
    """The outbox fields of one message about ``session`` to a participant, or None when they are not to be contacted."""
    channel, address = _channel(participant)
    if channel is None:
        return None
    zone = zoneinfo.ZoneInfo(participant.time_zone)
    subject, text, html = outbox.render(TEMPLATES, kind, channel, _context(session, participant, **extra), zone)
    with_calendar = kind in (NotificationKind.INVITE, NotificationKind.RESCHEDULE) and channel == Channel.EMAIL
    return dict(
        practice_id=session.practice_id, session=session, participant=participant, kind=kind, channel=channel,
        to_address=address, subject=subject, text=text, html=html, due_at=due_at, about_start=session.start,
        ics=ical.invite_ics(session, participant) if with_calendar else "",
        dedupe_key=key or f"{kind}:{participant.pk}:{channel}:{int(session.start.timestamp())}",
    )


def write(session, participant, kind, *, due_at=None, key=None, **extra):
    """One message about ``session`` to a participant, or nothing when they are not to be contacted."""
    fields = _message(session, participant, kind, due_at=due_at, key=key, **extra)
    return None if fields is None else outbox.enqueue(**fields)


def reminder_offsets(practice):
    return practice.reminder_offsets_minutes or DEFAULT_REMINDER_MINUTES


def schedule_reminders(session, participant):
    if session.is_unannounced:
        return  # a portal request is announced (and reminded) once the practitioner confirms it
    now = timezone.now()
    for minutes in reminder_offsets(session.practice):
        due = session.start - timedelta(minutes=minutes)
        if due > now:
            write(session, participant, NotificationKind.REMINDER, due_at=due, minutes=minutes,
                  key=f"reminder:{participant.pk}:{minutes}:{int(session.start.timestamp())}")


def _reminders_due(session, participant, now):
    """(minutes, due time) of the reminders ``schedule_reminders`` writes for a participant: none for
    an unannounced session or a participant not to be contacted, none already due."""
    if session.is_unannounced or _channel(participant)[0] is None:
        return []
    due_times = ((minutes, session.start - timedelta(minutes=minutes)) for minutes in reminder_offsets(session.practice))
    return [(minutes, due) for minutes, due in due_times if due > now]


def schedule_reminders_for(pairs) -> list:
    """``schedule_reminders`` for many new (session, participant) pairs (a series being materialised):
    the same rows with the same dedupe keys, written in sets: the participants' payment requests and
    documents read once for all, the keys already in the outbox read in one query, the new rows in one
    INSERT. The outbox has no batch ``enqueue``, so the rows are written here with the fields and the
    once-by-key rule of ``notifications.outbox.enqueue``; one due already is queued on commit like there.
    """
    now = timezone.now()
    wanted = [(session, participant, minutes, due) for session, participant in pairs
              for minutes, due in _reminders_due(session, participant, now)]
    if not wanted:
        return []
    prefetch_related_objects(list({id(p): p for _, p, _, _ in wanted}.values()), "payment_request", "document_requests")
    fields = [
        _message(session, participant, NotificationKind.REMINDER, due_at=due, minutes=minutes,
                 key=f"reminder:{participant.pk}:{minutes}:{int(session.start.timestamp())}")
        for session, participant, minutes, due in wanted
    ]
    written = set(Notification.objects.filter(dedupe_key__in=[f["dedupe_key"] for f in fields])
                  .values_list("dedupe_key", flat=True))
    rows, keys = [], set(written)
    for f in fields:
        if f["dedupe_key"] in keys:
            continue
        keys.add(f["dedupe_key"])
        rows.append(Notification(
            dedupe_key=f["dedupe_key"], practice_id=f["practice_id"], session=f["session"], participant=f["participant"],
            recipient_user=None, kind=f["kind"], channel=f["channel"], to_address=f["to_address"], subject=f["subject"],
            body_text=f["text"], body_html=f["html"], ics=f["ics"], due_at=f["due_at"] or now, about_start=f["about_start"],
        ))
    created = Notification.objects.bulk_create(rows)
    now = timezone.now()
    for notification in created:
        if notification.due_at <= now:
            pk = notification.pk
            transaction.on_commit(lambda pk=pk: outbox.queue_delivery(pk))
    return created


def invite(session, participants, *, recurrence=""):
    """Invitations (and their reminders) for newly added participants; none for a session already over."""
    if session.end <= timezone.now() or session.is_unannounced:
        return
    for participant in participants:
        write(session, participant, NotificationKind.INVITE, recurrence=recurrence)
        schedule_reminders(session, participant)


def reschedule(session, old_start, participants):
    """The session moved: withdraw what speaks of the old time; tell each participant; new reminders."""
    outbox.withdraw(session, participants)
    if session.is_unannounced:
        return
    for participant in participants:
        write(session, participant, NotificationKind.RESCHEDULE, old_start=in_zone(old_start, participant.time_zone))
        schedule_reminders(session, participant)


def cancel(session, participants, *, message="", notify=True):
    """The session is canceled: no reminder goes out; a notice to each participant who is invited."""
    outbox.withdraw(session)
    if not notify:
        return
    for participant in participants:
        write(session, participant, NotificationKind.CANCEL, message=message,
              key=f"cancel:{participant.pk}:{int(session.start.timestamp())}")


def notice(session, participants, *, message):
    """A notice about the session (cancellation tool, "notify only")."""
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    for participant in participants:
        write(session, participant, NotificationKind.NOTICE, message=message, key=f"notice:{participant.pk}:{stamp}")


def session_saved(session):
    """A saved session gets no more reminders; a canceled one no message about it at all."""
    outbox.withdraw(session, kinds=[NotificationKind.REMINDER, NotificationKind.INVITE, NotificationKind.RESCHEDULE])


def sessions_saved(sessions):
    """``session_saved`` for a batch (a bulk save): one UPDATE withdrawing what is pending about them,
    with the fields ``notifications.outbox.withdraw`` writes."""
    return Notification.objects.filter(
        session__in=sessions, state=State.PENDING,
        kind__in=[NotificationKind.REMINDER, NotificationKind.INVITE, NotificationKind.RESCHEDULE],
    ).update(state=State.CANCELED, last_error="Withdrawn: the session changed.", updated_at=timezone.now())


def declined(session, participants, *, message=""):
    """The practitioner declined a portal request: each client who asked is told the time is not kept."""
    outbox.withdraw(session)
    for participant in participants:
        write(session, participant, NotificationKind.BOOKING_DECLINED, message=message,
              key=f"declined:{participant.pk}:{int(session.start.timestamp())}")


def new_booking(session):
    """Tell the practitioner, by e-mail in their own zone, that a client booked or requested a session."""
    host = session.practitioner
    if not host.email:
        return None
    zone = zoneinfo.ZoneInfo(host.time_zone)
    start = session.start.astimezone(zone)
    context = {
        "practice": session.practice, "session": session, "host": host, "start": start, "zone": host.time_zone,
        "zone_abbr": start.strftime("%Z"), "clients": [p.name for p in session.participants.all()],
        "requested": session.is_requested, "url": f"{settings.SITE_URL}/sessions/{session.pk}/",
    }
    subject, text, html = outbox.render(TEMPLATES, NotificationKind.BOOKING_REQUEST, Channel.EMAIL, context, zone)
    return outbox.enqueue(
        practice_id=session.practice_id, session=session, recipient_user=host, kind=NotificationKind.BOOKING_REQUEST,
        channel=Channel.EMAIL, to_address=host.email, subject=subject, text=text, html=html,
        dedupe_key=f"booking:{session.pk}:{int(session.start.timestamp())}",
    )


def client_canceled(session, *, late_label="", charge="", package_kept=False, package_returned=False):
    """Tell the practitioner, by e-mail in their own zone, that a client canceled in the portal:
    within the policy (the time is free again), or inside it as a Late Cancel (``late_label``,
    with the ``charge`` written to the client's account)."""
    host = session.practitioner
    if not host.email:
        return None
    zone = zoneinfo.ZoneInfo(host.time_zone)
    start = session.start.astimezone(zone)
    context = {
        "practice": session.practice, "session": session, "host": host, "start": start, "zone": host.time_zone,
        "zone_abbr": start.strftime("%Z"), "clients": [p.name for p in session.participants.all() if p.is_client],
        "late_label": late_label, "charge": charge, "package_kept": package_kept, "package_returned": package_returned,
        "url": f"{settings.SITE_URL}/sessions/{session.pk}/",
    }
    subject, text, html = outbox.render(TEMPLATES, "client_canceled", Channel.EMAIL, context, zone)
    return outbox.enqueue(
        practice_id=session.practice_id, session=session, recipient_user=host, kind=NotificationKind.CANCEL,
        channel=Channel.EMAIL, to_address=host.email, subject=subject, text=text, html=html,
        dedupe_key=f"client-canceled:{session.pk}:{int(session.start.timestamp())}",
    )
