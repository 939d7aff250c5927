"""The ways a message leaves: e-mail through Django's backend, texts through Twilio."""
import functools
import logging
import threading
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import get_script_prefix, reverse

from notifications.models import Channel
from practice.errors import NotConfigured

log = logging.getLogger(__name__)
# Seconds a Twilio API call may take (the SDK waits for ever by default): a send must end well
# within the lease of a claimed message (notifications.delivery.LEASE).
TWILIO_TIMEOUT = 30


class TwilioCredentials(NamedTuple):
    account_sid: str
    auth_token: str
    from_number: str


def _environment_credentials() -> TwilioCredentials | None:
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER:
        return TwilioCredentials(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER)
    return None


def practice_has_own_twilio(practice) -> bool:
    return bool(practice is not None and practice.twilio_account_sid and practice.twilio_auth_token
                and practice.twilio_from_number)


def twilio_credentials(practice=None) -> TwilioCredentials | None:
    """The Twilio account a practice's texts go out through: its own when all three parts are
    saved, else the environment's (TWILIO_*) when all three are set, else None."""
    if practice_has_own_twilio(practice):
        return TwilioCredentials(practice.twilio_account_sid, practice.twilio_auth_token, practice.twilio_from_number)
    return _environment_credentials()


def sms_configured(practice=None) -> bool:
    """Whether text messages can be sent for the practice (its own Twilio account, or the environment's)."""
    return twilio_credentials(practice) is not None


def status_callback_url(practice) -> str:
    """Where Twilio reports a text's delivery: the practice's own callback URL (checked with the
    token its texts were sent with), or the environment's for a message with no practice."""
    return settings.SITE_URL + _callback_path(practice.slug if practice else None, settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=1024)
def _callback_path(slug, urlconf, script_prefix) -> str:
    """reverse() once per practice (and URLconf), not once per text: a tenth of a text's time in a worker."""
    if slug is None:
        return reverse("notifications:twilio_status", urlconf=urlconf)
    return reverse("notifications:twilio_status_practice", args=[slug], urlconf=urlconf)


class Twilio:
    """The Twilio Messages API through the official SDK, with one account's credentials.

    The Messages API takes no idempotency key (twilio-python 9.13's ``messages.create`` has no
    such parameter; only some newer APIs, e.g. Voice v3 transcriptions, take ``Idempotency-Key``),
    so a text whose send was cut off after Twilio accepted it can go out twice.
    """

    def __init__(self, credentials: TwilioCredentials):
        from twilio.rest import Client

        from notifications.twilio_http import PooledHttpClient

        self.credentials = credentials
        base_url = settings.TWILIO_API_BASE or "https://api.twilio.com"
        # The SDK over urllib3 directly (not requests): its connections kept alive across messages.
        http_client = PooledHttpClient(base_url, timeout=TWILIO_TIMEOUT)
        self.client = Client(credentials.account_sid, credentials.auth_token, http_client=http_client)
        if settings.TWILIO_API_BASE:  # a loopback stub in tests and benchmarks
            self.client.api.base_url = settings.TWILIO_API_BASE

    def send(self, notification) -> str:
        message = self.client.messages.create(
            to=notification.to_address, from_=self.credentials.from_number, body=notification.body_text,
            status_callback=status_callback_url(notification.practice),
        )
        return message.sid


class ConsoleSms:
    """Development without Twilio settings: texts are written to the worker's log, like console e-mail."""

    def send(self, notification) -> str:
        log.info("Text message to %s:\n%s", notification.to_address, notification.body_text)
        print(f"--- text message to {notification.to_address} ---\n{notification.body_text}\n", flush=True)
        return f"console-{notification.pk}"


class SmsNotConfigured(NotConfigured):
    """A text message when Twilio is not set up (outside development)."""


def sms_sender(practice=None):
    credentials = twilio_credentials(practice)
    if credentials is not None:
        return Twilio(credentials)
    if settings.DEBUG:
        return ConsoleSms()
    raise SmsNotConfigured("Text messages are not set up: the practice has no Twilio account saved and "
                           "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are missing.")


# Twilio clients kept for the life of the worker process, one per account (and API base): each
# holds its transport's connection pool (notifications.twilio_http), so the HTTPS connection to Twilio is
# kept alive from one message, and one drain, to the next.
_twilio_clients: dict = {}
_twilio_clients_lock = threading.Lock()


def twilio_client(credentials: TwilioCredentials) -> "Twilio":
    key = (credentials, settings.TWILIO_API_BASE)
    with _twilio_clients_lock:
        if key not in _twilio_clients:
            _twilio_clients[key] = Twilio(credentials)
        return _twilio_clients[key]


class Senders:
    """Connections reused across the messages of one drain.

    The SMTP connection is opened here and closed by ``close``, not around each message:
    Django's backend closes a connection it opened itself after each send (QUIT), and a
    message is recorded as sent only once the send returns, so a worker that stopped
    while waiting for the server to close would send that message again. Twilio clients
    (and their HTTP sessions) outlive a drain: see ``twilio_client``.
    """

    def __init__(self):
        self._mail = None
        self._twilio = {}  # credentials -> client: one per Twilio account, reused across messages

    def mail(self):
        if self._mail is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._mail = connection
        return self._mail

    def twilio(self, practice=None):
        credentials = twilio_credentials(practice)
        if credentials is None:
            return sms_sender(practice)  # the console in development; refused otherwise
        if credentials not in self._twilio:
            self._twilio[credentials] = twilio_client(credentials)
        return self._twilio[credentials]

    def close(self):
        if self._mail is not None:
            try:
                self._mail.close()
            except Exception:  # a broken connection is replaced next time
                pass
            self._mail = None


def send_email(notification, senders: Senders) -> str:
    """Send one e-mail (text, HTML and the calendar attachment it was written with); return its Message-ID."""
    host = settings.SITE_URL.split("//")[-1].split("/")[0]
    # The same Message-ID on every attempt: a receiver that got the message already can drop a copy.
    message = EmailMultiAlternatives(
        subject=notification.subject, body=notification.body_text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_address], headers={"Message-ID": f"<notification-{notification.pk}@{host}>"},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.ics:
        message.attach("session.ics", notification.ics, "text/calendar; method=REQUEST")
    try:
        message.connection = senders.mail()
        message.send()
    except Exception:
        senders.close()  # the next message gets a fresh connection
        raise
    return message.extra_headers["Message-ID"]


def send(notification, senders: Senders) -> str:
    """Send through the message's channel; return the provider's id for it."""
    if notification.channel == Channel.SMS:
        return senders.twilio(notification.practice).send(notification)
    return send_email(notification, senders)
