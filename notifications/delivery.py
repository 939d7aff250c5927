"""Delivering outbox messages: e-mail through Django's backend, texts through Twilio.

Three steps, so no transaction is open while a provider is called:

1. claim: under ``SELECT ... FOR UPDATE SKIP LOCKED``, a due PENDING row becomes
   SENDING with ``claimed_at`` and one more attempt; commit. Two workers never
   claim the same row.
2. send, outside any transaction.
3. record: SENT with the provider's id (or back to PENDING with a backoff, or
   FAILED); commit, with one reconnect if the database dropped the connection
   meanwhile (the provider has the message: the record must not be lost).

A worker killed between 1 and 3 leaves the row SENDING; the drain claims it again
once its lease (``LEASE``) ran out and sends it again, so nothing is lost. What
can still be sent twice is a message the provider accepted in the moment between
its answer and the record's commit: e-mails carry a stable Message-ID
(``<notification-{pk}@host>``) that receivers de-duplicate on; Twilio's Messages
API takes no idempotency key. Failures retry with exponential backoff and end as
"failed".
"""
import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications import channels
from notifications.models import Notification, NotificationKind, State

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STALE_KINDS = (NotificationKind.INVITE, NotificationKind.RESCHEDULE, NotificationKind.REMINDER)
# How long a claimed row belongs to its worker. Far longer than a send can take (SMTP and
# Twilio calls time out after EMAIL_TIMEOUT / channels.TWILIO_TIMEOUT seconds).
LEASE = timedelta(minutes=10)


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


def _lease_ran_out(now) -> Q:
    return Q(state=State.SENDING, claimed_at__lte=now - LEASE)


def _claim(notification_id, now, reclaim):
    """Step 1: (the claimed row, None), or (None, what happened instead), or (None, None) when nothing is due."""
    due = Q(state=State.PENDING, due_at__lte=now)
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=True, of=("self",)).select_related("session", "participant", "practice")
        if notification_id is not None:
            notification = rows.filter(due | _lease_ran_out(now), pk=notification_id).first()
        else:  # a row whose worker died mid-send (its lease ran out) first, then the next due one
            notification = ((reclaim and rows.filter(_lease_ran_out(now)).order_by("claimed_at", "id").first())
                            or rows.filter(due).order_by("due_at", "id").first())
        if notification is None:
            return None, None
        if _is_stale(notification):
            notification.state = State.CANCELED
            notification.last_error = "Withdrawn: the session moved or was canceled."
            notification.save(update_fields=["state", "last_error", "updated_at"])
            return None, "withdrawn"
        if notification.state == State.SENDING:
            log.warning("notification %s: its worker stopped while sending (attempt %s); sending it again",
                        notification.pk, notification.attempts)
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = State.FAILED
                notification.last_error = "The worker sending it stopped each time."
                notification.save(update_fields=["state", "last_error", "updated_at"])
                return None, "failed"
        notification.state = State.SENDING
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(update_fields=["state", "claimed_at", "attempts", "updated_at"])
        return notification, None


def _record(notification, **changes) -> int:
    """Step 3: write the outcome of a send to the row this worker claimed; returns the rows changed.

    The send already happened, so a dropped database connection gets one reconnect.
    """
    rows = Notification.objects.filter(pk=notification.pk, state=State.SENDING, claimed_at=notification.claimed_at)
    changes["updated_at"] = timezone.now()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return rows.update(**changes)
        except (OperationalError, InterfaceError):
            if attempt == 2 or connection.in_atomic_block:
                raise
            log.warning("notification %s: the database connection dropped after the send; reconnecting", notification.pk)
            connection.close()
    return 0


def deliver_one(notification_id=None, senders=None, reclaim=True) -> str | None:
    """Deliver one due message (a given one, or the next due); returns what happened, None if none.

    ``reclaim``: look for rows whose lease ran out first (``drain`` says when there are none).
    """
    own_senders = senders is None
    senders = senders or channels.Senders()
    try:
        notification, outcome = _claim(notification_id, timezone.now(), reclaim)
        if notification is None:
            return outcome
        try:
            provider_id = channels.send(notification, senders)
        except Exception as error:  # any provider failure is retried, then recorded
            error_text = f"{type(error).__name__}: {error}"[:2000]
            failed = notification.attempts >= MAX_ATTEMPTS or isinstance(error, channels.SmsNotConfigured)
            if failed:
                _record(notification, state=State.FAILED, last_error=error_text)
            else:
                _record(notification, state=State.PENDING, last_error=error_text,
                        due_at=timezone.now() + backoff(notification.attempts))
            log.warning("notification %s failed (attempt %s): %s", notification.pk, notification.attempts, error_text)
            return "failed" if failed else "retry"
        if not _record(notification, state=State.SENT, sent_at=timezone.now(), provider_id=provider_id[:100], last_error=""):
            log.warning("notification %s was sent, but another worker had claimed it again meanwhile", notification.pk)
        return "sent"
    finally:
        if own_senders:
            senders.close()


def drain(limit=None) -> int:
    """Deliver due messages until none is left (or ``limit``); returns how many were handled."""
    senders = channels.Senders()
    handled = 0

    def any_lease_ran_out():
        return Notification.objects.filter(_lease_ran_out(timezone.now())).exists()

    reclaim = any_lease_ran_out()
    try:
        while limit is None or handled < limit:
            if deliver_one(senders=senders, reclaim=reclaim) is None:
                break
            handled += 1
            reclaim = reclaim and any_lease_ran_out()
    finally:
        senders.close()
    return handled
