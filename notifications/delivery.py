"""Delivering outbox messages: e-mail through Django's backend, texts through Twilio.

A message is delivered inside the transaction that holds its row lock
(``SELECT ... FOR UPDATE SKIP LOCKED``) and marks it sent, so two workers never
send the same row, and a worker killed mid-way leaves the row pending for the
next one. Failures retry with exponential backoff and end as "failed".
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from notifications import channels
from notifications.models import Notification, NotificationKind, State

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STALE_KINDS = (NotificationKind.INVITE, NotificationKind.RESCHEDULE, NotificationKind.REMINDER)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16 minutes... capped at an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _is_stale(notification) -> bool:
    """Whether the message speaks of a session time that no longer holds.

    The session answers through ``accepts_messages_about(start)`` (a method of
    the session model), so this app needs no import of the sessions app.
    """
    session = notification.session
    if session is None or notification.kind not in STALE_KINDS:
        return False
    return not session.accepts_messages_about(notification.about_start)


def deliver_one(notification_id=None, senders=None) -> str | None:
    """Deliver one due message (a given one, or the next due); returns what happened, None if none."""
    senders = senders or channels.Senders()
    now = timezone.now()
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True, of=("self",)).filter(state=State.PENDING, due_at__lte=now)
        if notification_id is not None:
            due = due.filter(pk=notification_id)
        notification = due.select_related("session", "participant").order_by("due_at", "id").first()
        if notification is None:
            return None
        if _is_stale(notification):
            notification.state = State.CANCELED
            notification.last_error = "Withdrawn: the session moved or was canceled."
            notification.save(update_fields=["state", "last_error", "updated_at"])
            return "withdrawn"
        notification.attempts += 1
        try:
            provider_id = channels.send(notification, senders)
        except Exception as error:  # any provider failure is retried, then recorded
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS or isinstance(error, channels.SmsNotConfigured):
                notification.state = State.FAILED
            else:
                notification.due_at = now + backoff(notification.attempts)
            notification.save(update_fields=["attempts", "last_error", "state", "due_at", "updated_at"])
            log.warning("notification %s failed (attempt %s): %s", notification.pk, notification.attempts, notification.last_error)
            return "failed" if notification.state == State.FAILED else "retry"
        notification.state = State.SENT
        notification.sent_at = timezone.now()
        notification.provider_id = provider_id[:100]
        notification.last_error = ""
        notification.save(update_fields=["attempts", "state", "sent_at", "provider_id", "last_error", "updated_at"])
        return "sent"


def drain(limit=None) -> int:
    """Deliver due messages until none is left (or ``limit``); returns how many were handled."""
    senders = channels.Senders()
    handled = 0
    try:
        while limit is None or handled < limit:
            if deliver_one(senders=senders) is None:
                break
            handled += 1
    finally:
        senders.close()
    return handled
