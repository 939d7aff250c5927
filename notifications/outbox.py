"""Writing messages to the outbox, in the caller's transaction (DESIGN.md invariant 5).

Each function is called by the domain change that causes the message
(scheduling, series, completion, cancellation tool, payments) inside its
transaction; delivery is queued on commit. "System should not send invite"
means no message of any kind to that participant.
"""
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from notifications.models import Channel, Kind, Notification, State
from sessions_app.models import InviteMethod

DEFAULT_REMINDER_MINUTES = [1440, 60]


def _channel(participant):
    if participant.invite_method == InviteMethod.EMAIL and participant.email:
        return Channel.EMAIL, participant.email
    if participant.invite_method == InviteMethod.TEXT and participant.phone:
        return Channel.SMS, participant.phone
    return None, None


def in_zone(moment, zone_name):
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name))


def join_url(session):
    return f"{settings.SITE_URL}/join/"


def _context(session, participant, **extra):
    start = in_zone(session.start, participant.time_zone)
    end = session.end.astimezone(start.tzinfo)
    pay_url = ""
    if participant.payment_state == "required":
        from billing.payments import payment_url

        pay_url = payment_url(participant)
    return {
        "pay_url": pay_url,
        "practice": session.practice, "session": session, "participant": participant, "host": session.practitioner,
        "start": start, "end": end, "zone": participant.time_zone, "zone_abbr": start.strftime("%Z"),
        "join_url": join_url(session), "site_url": settings.SITE_URL, **extra,
    }


def _plain(name, context):
    """A text template rendered without HTML escaping (plain e-mail parts and SMS)."""
    return get_template(name).template.render(Context(context, autoescape=False)).strip()


def _render(kind, channel, context):
    if channel == Channel.SMS:
        return "", _plain(f"notifications/sms/{kind}.txt", context), ""
    subject = " ".join(_plain(f"notifications/email/{kind}_subject.txt", context).split())
    text = _plain(f"notifications/email/{kind}.txt", context)
    html = render_to_string(f"notifications/email/{kind}.html", context)
    return subject, text, html


def _queue_on_commit(notification):
    from notifications.tasks import deliver

    if notification.due_at <= timezone.now():
        transaction.on_commit(lambda: deliver.delay(notification.pk))


def write(session, participant, kind, *, due_at=None, key=None, **extra) -> Notification | None:
    """Write one message to a participant, or nothing when they are not to be contacted."""
    channel, address = _channel(participant)
    if channel is None:
        return None
    # Django's date filters show times in the active zone: make it the participant's.
    with timezone.override(zoneinfo.ZoneInfo(participant.time_zone)):
        subject, text, html = _render(kind, channel, _context(session, participant, **extra))
    stamp = int(session.start.timestamp())
    notification, created = Notification.objects.get_or_create(
        dedupe_key=key or f"{kind}:{participant.pk}:{channel}:{stamp}",
        defaults=dict(
            practice_id=session.practice_id, session=session, participant=participant, kind=kind, channel=channel,
            to_address=address, subject=subject, body_text=text, body_html=html, due_at=due_at or timezone.now(),
            attach_ics=kind in (Kind.INVITE, Kind.RESCHEDULE) and channel == Channel.EMAIL,
            about_start=session.start,
        ),
    )
    if created:
        _queue_on_commit(notification)
    return notification


def reminder_offsets(practice):
    return practice.reminder_offsets_minutes or DEFAULT_REMINDER_MINUTES


def schedule_reminders(session, participant):
    now = timezone.now()
    for minutes in reminder_offsets(session.practice):
        due = session.start - timedelta(minutes=minutes)
        if due > now:
            write(session, participant, Kind.REMINDER, due_at=due, minutes=minutes,
                  key=f"reminder:{participant.pk}:{minutes}:{int(session.start.timestamp())}")


def invite(session, participants, *, recurrence=""):
    """Invitations (and their reminders) for newly added participants; none for a session already over."""
    if session.end <= timezone.now():
        return
    for participant in participants:
        write(session, participant, Kind.INVITE, recurrence=recurrence)
        schedule_reminders(session, participant)


def withdraw(session, participants=None, kinds=None):
    """Withdraw messages not yet sent (reminders, unsent invites) for the session or some participants."""
    pending = Notification.objects.filter(session=session, state=State.PENDING)
    if participants is not None:
        pending = pending.filter(participant__in=participants)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    return pending.update(state=State.CANCELED, last_error="Withdrawn: the session changed.", updated_at=timezone.now())


def reschedule(session, old_start, participants):
    """The session moved: withdraw what speaks of the old time; tell each participant; new reminders."""
    withdraw(session, participants)
    for participant in participants:
        write(session, participant, Kind.RESCHEDULE, old_start=in_zone(old_start, participant.time_zone))
        schedule_reminders(session, participant)


def cancel(session, participants, *, message="", notify=True):
    """The session is canceled: no reminder goes out; a notice to each participant who is invited."""
    withdraw(session)
    if not notify:
        return
    for participant in participants:
        write(session, participant, Kind.CANCEL, message=message, key=f"cancel:{participant.pk}:{int(session.start.timestamp())}")


def notice(session, participants, *, message):
    """A notice about the session (cancellation tool, "notify only")."""
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    for participant in participants:
        write(session, participant, Kind.NOTICE, message=message, key=f"notice:{participant.pk}:{stamp}")


def payment_received(payment):
    """Tell the host a participant paid (once per payment)."""
    participant = payment.participant
    session = participant.session
    host = session.practitioner
    if not host.email:
        return None
    zone = zoneinfo.ZoneInfo(host.time_zone)
    context = {"payment": payment, "participant": participant, "session": session, "host": host, "practice": session.practice,
               "start": session.start.astimezone(zone), "zone": host.time_zone, "site_url": settings.SITE_URL}
    with timezone.override(zone):
        subject = " ".join(_plain("notifications/email/payment_received_subject.txt", context).split())
        text = _plain("notifications/email/payment_received.txt", context)
        html = render_to_string("notifications/email/payment_received.html", context)
    notification, created = Notification.objects.get_or_create(
        dedupe_key=f"payment_received:{payment.pk}",
        defaults=dict(practice_id=session.practice_id, session=session, participant=participant, recipient_user=host,
                      kind=Kind.PAYMENT_RECEIVED, channel=Channel.EMAIL, to_address=host.email, subject=subject,
                      body_text=text, body_html=html, due_at=timezone.now()),
    )
    if created:
        _queue_on_commit(notification)
    return notification
