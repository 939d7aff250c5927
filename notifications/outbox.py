"""Writing messages to the outbox, in the caller's transaction (DESIGN.md invariant 5).

This module knows nothing of sessions or payments: the app that owns an event
(``sessions_app.messages``, ``billing.messages``) decides who hears about it
and renders the words, then calls ``enqueue``. Delivery is queued on commit;
a message due later waits for the beat task. The row is the truth: if the
broker cannot take the task (Redis is down), the change still stands and the
beat drain (``tasks.dispatch_due``, every minute) sends the message.
"""
import logging

from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from notifications import tasks
from notifications.models import Channel, Notification, State

log = logging.getLogger(__name__)


def plain(template_name, context) -> str:
    """A text template rendered without HTML escaping (plain e-mail parts and texts)."""
    return get_template(template_name).template.render(Context(context, autoescape=False)).strip()


def render(prefix: str, kind: str, channel: str, context: dict, zone) -> tuple[str, str, str]:
    """(subject, text, html) from ``{prefix}/sms/{kind}.txt`` or ``{prefix}/email/{kind}[_subject].txt|.html``.

    Django's date filters show times in the active zone: it is the recipient's.
    """
    with timezone.override(zone):
        if channel == Channel.SMS:
            return "", plain(f"{prefix}/sms/{kind}.txt", context), ""
        subject = " ".join(plain(f"{prefix}/email/{kind}_subject.txt", context).split())
        text = plain(f"{prefix}/email/{kind}.txt", context)
        html = render_to_string(f"{prefix}/email/{kind}.html", context)
    return subject, text, html


def queue_delivery(notification_id: int) -> bool:
    """Ask a worker to deliver one message now; False (logged) when the broker cannot be reached.

    Runs after the change committed: failing here must not fail the request, the
    pending row is picked up by the beat drain.
    """
    try:
        tasks.deliver.apply_async((notification_id,), retry_policy=BROKER_RETRY)
    except Exception as error:  # kombu's OperationalError, a socket error...: the broker is away
        log.warning("notification %s could not be queued (%s: %s); the beat drain will send it",
                    notification_id, type(error).__name__, error)
        return False
    return True


# A short retry when publishing (Celery's default waits up to ~1 s); the beat drain covers the rest.
BROKER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _queue_on_commit(notification):
    pk = notification.pk
    transaction.on_commit(lambda: queue_delivery(pk))


def enqueue(*, practice_id, kind, channel, to_address, text, dedupe_key, subject="", html="", ics="",
            due_at=None, session=None, participant=None, recipient_user=None, about_start=None) -> Notification:
    """Write one message once (by ``dedupe_key``) and return it (written now or before).

    ``about_start`` is the session time the message speaks of: delivery withdraws
    it if the session has moved or was canceled by then.
    """
    now = timezone.now()
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults=dict(
            practice_id=practice_id, session=session, participant=participant, recipient_user=recipient_user,
            kind=kind, channel=channel, to_address=to_address, subject=subject, body_text=text, body_html=html,
            ics=ics, due_at=due_at or now, about_start=about_start,
        ),
    )
    if created and notification.due_at <= now:
        _queue_on_commit(notification)
    return notification


def withdraw(session, participants=None, kinds=None) -> int:
    """Withdraw messages not yet sent about ``session`` (all, or some participants' or kinds)."""
    pending = Notification.objects.filter(session=session, state=State.PENDING)
    if participants is not None:
        pending = pending.filter(participant__in=participants)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    return pending.update(state=State.CANCELED, last_error="Withdrawn: the session changed.", updated_at=timezone.now())
