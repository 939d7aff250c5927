"""What participants are told about their sessions: invitations, reminders, moves,
cancellations and notices, worded here and written to the outbox in the caller's
transaction (DESIGN.md invariant 5).

"System should not send invite" means no message of any kind to that participant.
Each message is rendered in the participant's time zone, named.
"""
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications import outbox
from notifications.models import Channel, NotificationKind
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


def write(session, participant, kind, *, due_at=None, key=None, **extra):
    """One message about ``session`` to a participant, or nothing when they are not to be contacted."""
    channel, address = _channel(participant)
    if channel is None:
        return None
    zone = zoneinfo.ZoneInfo(participant.time_zone)
    subject, text, html = outbox.render(TEMPLATES, kind, channel, _context(session, participant, **extra), zone)
    with_calendar = kind in (NotificationKind.INVITE, NotificationKind.RESCHEDULE) and channel == Channel.EMAIL
    return outbox.enqueue(
        practice_id=session.practice_id, session=session, participant=participant, kind=kind, channel=channel,
        to_address=address, subject=subject, text=text, html=html, due_at=due_at, about_start=session.start,
        ics=ical.invite_ics(session, participant) if with_calendar else "",
        dedupe_key=key or f"{kind}:{participant.pk}:{channel}:{int(session.start.timestamp())}",
    )


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
