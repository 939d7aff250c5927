"""Delivering outbox messages: e-mail through Django's backend, texts through Twilio.

A message is delivered inside the transaction that holds its row lock
(``SELECT ... FOR UPDATE SKIP LOCKED``) and marks it sent, so two workers never
send the same row, and a worker killed mid-way leaves the row pending for the
next one. Failures retry with exponential backoff and end as "failed".
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.models import Channel, Kind, Notification, State
from sessions_app.models import SessionStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STALE_KINDS = (Kind.INVITE, Kind.RESCHEDULE, Kind.REMINDER)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16 minutes... capped at an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


class Twilio:
    """The Twilio Messages API through the official SDK."""

    def __init__(self):
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        if settings.TWILIO_API_BASE:  # a loopback stub in tests and benchmarks
            self.client.api.base_url = settings.TWILIO_API_BASE

    def send(self, notification) -> str:
        message = self.client.messages.create(
            to=notification.to_address, from_=settings.TWILIO_FROM_NUMBER, body=notification.body_text,
            status_callback=settings.SITE_URL + reverse("notifications:twilio_status"),
        )
        return message.sid


class ConsoleSms:
    """Development without Twilio settings: texts are written to the worker's log, like console e-mail."""

    def send(self, notification) -> str:
        log.info("Text message to %s:\n%s", notification.to_address, notification.body_text)
        print(f"--- text message to {notification.to_address} ---\n{notification.body_text}\n", flush=True)
        return f"console-{notification.pk}"


class SmsNotConfigured(Exception):
    """Raised for a text message when Twilio is not set up (outside development)."""


def sms_sender():
    from sessions_app.forms import sms_configured

    if sms_configured():
        return Twilio()
    if settings.DEBUG:
        return ConsoleSms()
    raise SmsNotConfigured("Text messages are not set up: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are missing.")


class Senders:
    """Connections reused across the messages of one drain."""

    def __init__(self):
        self._mail = None
        self._twilio = None

    def mail(self):
        if self._mail is None:
            self._mail = get_connection(fail_silently=False)
        return self._mail

    def twilio(self):
        if self._twilio is None:
            self._twilio = sms_sender()
        return self._twilio

    def close(self):
        if self._mail is not None:
            try:
                self._mail.close()
            except Exception:  # a broken connection is replaced next time
                pass
            self._mail = None


def _email(notification, senders):
    from sessions_app.ical import invite_ics

    message = EmailMultiAlternatives(
        subject=notification.subject, body=notification.body_text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_address], connection=senders.mail(),
        headers={"Message-ID": f"<notification-{notification.pk}@{settings.SITE_URL.split('//')[-1].split('/')[0]}>"},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.attach_ics and notification.session_id:
        message.attach("session.ics", invite_ics(notification.session, notification.participant), "text/calendar; method=REQUEST")
    try:
        message.send()
    except Exception:
        senders.close()  # the next message gets a fresh connection
        raise
    return message.extra_headers["Message-ID"]


def _is_stale(notification) -> bool:
    session = notification.session
    if session is None or notification.kind not in STALE_KINDS:
        return False
    return session.status == SessionStatus.CANCELED or (
        notification.about_start is not None and notification.about_start != session.start
    )


def deliver_one(notification_id=None, senders=None) -> str | None:
    """Deliver one due message (a given one, or the next due); returns what happened, None if none."""
    senders = senders or Senders()
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
            if notification.channel == Channel.SMS:
                provider_id = senders.twilio().send(notification)
            else:
                provider_id = _email(notification, senders)
        except Exception as error:  # any provider failure is retried, then recorded
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS or isinstance(error, SmsNotConfigured):
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
    senders = Senders()
    handled = 0
    try:
        while limit is None or handled < limit:
            if deliver_one(senders=senders) is None:
                break
            handled += 1
    finally:
        senders.close()
    return handled
