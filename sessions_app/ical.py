"""The practitioner's private calendar feed and invitation attachments: iCalendar (RFC 5545) and feed tokens.

The feed is fetched without a login by calendar apps (Google, Apple, Outlook),
so the only secret is the token in its URL. It carries health data, so it shows
client initials only: no notes, e-mails, phones or full names.

The ``icalendar`` package writes the text: it escapes TEXT values and folds
lines at 75 octets, on character boundaries. This module decides what goes in.
"""
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import icalendar
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from practice.models import DeliveryMethod, Membership, Role
from sessions_app.models import Participant, Session, SessionKind, SessionStatus

# The feed covers this window around now, so its size stays bounded.
PAST_DAYS = 60
FUTURE_DAYS = 365
# Roles whose sessions a feed may show (the same roles that may manage it).
FEED_ROLES = (Role.PRACTITIONER, Role.ADMIN)
PRODID = "-//Practice Scheduling//EN"


# --- tokens -------------------------------------------------------------------------------------


def new_feed_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_feed_token(token: str) -> str:
    """What is stored for a token: its SHA-256, hex. The token has 256 random bits, so no salt or
    slow hash is needed; a leaked database row does not give the feed URL."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_feed_token(membership) -> bool:
    return bool(membership.feed_token_hash)


def ensure_feed_token(membership):
    """Give ``membership`` a feed token if it has none yet and return it; ``None`` if it has one.

    Only the hash is stored, so an existing token cannot be shown again (make a new one with
    ``reset_feed_token``). The update is conditional, so of two first visits at once only one
    gets a token: the other answers ``None`` like any later visit.
    """
    if membership.feed_token_hash:
        return None
    token = new_feed_token()
    made = Membership.objects.filter(Q(feed_token_hash__isnull=True) | Q(feed_token_hash=""), pk=membership.pk).update(
        feed_token_hash=hash_feed_token(token)
    )
    membership.feed_token_hash = Membership.objects.values_list("feed_token_hash", flat=True).get(pk=membership.pk)
    return token if made else None


def reset_feed_token(membership) -> str:
    """Replace the token and return the new one: the old feed URL stops working at once."""
    token = new_feed_token()
    with transaction.atomic():
        membership.feed_token_hash = hash_feed_token(token)
        membership.save(update_fields=["feed_token_hash"])
    return token


def membership_for_feed_token(token):
    """The active practitioner or admin membership whose feed this is, or ``None``."""
    token = (token or "").strip()
    if not token:
        return None
    return (
        Membership.objects.active()
        .select_related("practice", "user")
        .filter(feed_token_hash=hash_feed_token(token), role__in=FEED_ROLES, user__is_active=True)
        .first()
    )


# --- sessions -----------------------------------------------------------------------------------


def feed_sessions(membership, now=None):
    """The membership's own sessions in its practice, from 60 days ago to a year ahead.

    Canceled sessions are included: they go out as STATUS:CANCELLED so that
    subscribed calendars drop them. Only client participants' names are loaded.
    """
    now = now or timezone.now()
    clients = Participant.objects.filter(is_client=True).only("id", "session_id", "name", "is_client")
    return (
        Session.objects.filter(
            practice=membership.practice,
            practitioner=membership.user,
            end__gt=now - timedelta(days=PAST_DAYS),
            start__lt=now + timedelta(days=FUTURE_DAYS),
        )
        .select_related("room")
        .prefetch_related(Prefetch("participants", queryset=clients))
        .order_by("start", "pk")
    )


# --- text ---------------------------------------------------------------------------------------

_NAME_PARTS = re.compile(r"[\s.,;/]+")
_DELIVERY_LABELS = dict(DeliveryMethod.choices)


def initials(name: str) -> str:
    """``"Jamie Rivera"`` -> ``"J.R."``; ``"K.M."`` -> ``"K.M."``; ``"Jamie"`` -> ``"J."``.

    First and last name only, so a long name reveals no more than a short one.
    """
    letters = []
    for part in _NAME_PARTS.split(name or ""):
        letter = next((c for c in part if c.isalpha()), None)
        if letter:
            letters.append(letter.upper())
    if len(letters) > 2:
        letters = [letters[0], letters[-1]]
    return "".join(f"{letter}." for letter in letters)


def summary(session) -> str:
    if session.kind == SessionKind.ORIENTATION:
        return "Orientation"
    clients = [initials(p.name) or "Client" for p in session.participants.all() if p.is_client]
    if not clients:
        return "Session"
    if len(clients) == 1:
        return clients[0]
    return "Group: " + ", ".join(clients)


def location(session) -> str:
    """The room's name, else the delivery method's label (reads ``room`` and ``delivery_method`` only)."""
    room = session.room
    if room is not None:
        return room.name
    return _DELIVERY_LABELS.get(session.delivery_method, session.delivery_method)


def _status(session) -> str:
    return "CANCELLED" if session.status == SessionStatus.CANCELED else "CONFIRMED"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- rendering ----------------------------------------------------------------------------------


def _calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


def _to_text(calendar: icalendar.Calendar) -> str:
    # Properties in the order they were added (the library would otherwise sort them).
    return calendar.to_ical(sorted=False).decode("utf-8")


def _event(session, host) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", f"session-{session.pk}@{host}")
    event.add("DTSTAMP", _utc(session.updated_at))
    event.add("DTSTART", _utc(session.start))
    event.add("DTEND", _utc(session.end))
    event.add("SUMMARY", summary(session))
    event.add("LOCATION", location(session))
    event.add("STATUS", _status(session))
    event.add("TRANSP", "OPAQUE")
    return event


def render_feed(practice, sessions, host) -> str:
    """The whole VCALENDAR as text: CRLF line ends, lines folded at 75 octets."""
    calendar = _calendar("PUBLISH")
    # X-properties are not TEXT to the library; say so, so that the name is escaped.
    calendar.add("X-WR-CALNAME", icalendar.vText(practice.name or ""))
    # Hints for how often subscribers should fetch the feed again.
    calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT1H")
    for session in sessions:
        calendar.add_component(_event(session, host))
    return _to_text(calendar)


def invite_ics(session, participant) -> str:
    """A one-event calendar for a participant's invitation e-mail (METHOD:REQUEST).

    The participant sees the host and the practice, not other participants.
    The UID is stable per session and participant, so a reschedule updates the
    event the participant already has, by SEQUENCE (seconds since the session was created).

    It makes no query of its own, only reads attributes (a model instance may load a related
    row when one is read): ``session.pk``, ``status``, ``start``, ``end``, ``created_at``,
    ``updated_at``, ``practitioner`` (as text), ``practice.name``, ``room`` (``None`` or
    something with a ``name``), ``delivery_method``; ``participant.pk``. Plain objects with
    those attributes will do.
    """
    host = settings.SITE_URL.split("//")[-1].split("/")[0]
    event = icalendar.Event()
    event.add("UID", f"session-{session.pk}-participant-{participant.pk}@{host}")
    event.add("SEQUENCE", int((session.updated_at - session.created_at).total_seconds()))
    event.add("DTSTAMP", _utc(timezone.now()))
    event.add("DTSTART", _utc(session.start))
    event.add("DTEND", _utc(session.end))
    event.add("SUMMARY", f"Session with {session.practitioner} ({session.practice.name})")
    event.add("LOCATION", location(session))
    event.add("STATUS", _status(session))
    calendar = _calendar("REQUEST")
    calendar.add_component(event)
    return _to_text(calendar)
