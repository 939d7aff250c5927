"""The practitioner's private calendar feed: iCalendar (RFC 5545) rendering and feed tokens.

The feed is fetched without a login by calendar apps (Google, Apple, Outlook),
so the only secret is the token in its URL. It carries health data, so it shows
client initials only: no notes, e-mails, phones or full names.
"""
import re
import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from practice.models import Membership, Role
from sessions_app.models import Participant, Session, SessionKind, SessionStatus

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
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


def ensure_feed_token(membership) -> str:
    """Give ``membership`` a feed token if it has none yet, and return its token.

    The update is conditional, so two first visits at once agree on one token.
    """
    if membership.feed_token:
        return membership.feed_token
    Membership.objects.filter(Q(feed_token__isnull=True) | Q(feed_token=""), pk=membership.pk).update(
        feed_token=new_feed_token()
    )
    membership.feed_token = Membership.objects.values_list("feed_token", flat=True).get(pk=membership.pk)
    return membership.feed_token


def reset_feed_token(membership) -> str:
    """Replace the token: the old feed URL stops working at once."""
    with transaction.atomic():
        membership.feed_token = new_feed_token()
        membership.save(update_fields=["feed_token"])
    return membership.feed_token


def membership_for_feed_token(token):
    """The active practitioner or admin membership whose feed this is, or ``None``."""
    token = (token or "").strip()
    if not token:
        return None
    return (
        Membership.objects.active()
        .select_related("practice", "user")
        .filter(feed_token=token, role__in=FEED_ROLES, user__is_active=True)
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


def escape_text(value) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    text = str(value or "")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return text


def fold_line(line: str) -> str:
    """Fold a content line to at most 75 octets per physical line (RFC 5545 3.1).

    Continuation lines start with one space; folds fall between characters, so a
    multi-byte UTF-8 character is never split. The result has no final CRLF.
    """
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line
    pieces, current, size, limit = [], [], 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            # The leading space of a continuation line counts toward its 75 octets.
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


_NAME_PARTS = re.compile(r"[\s.,;/]+")


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
    if session.room_id:
        return session.room.name
    return session.get_delivery_method_display()


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- rendering ----------------------------------------------------------------------------------


def event_lines(session, host):
    status = "CANCELLED" if session.status == SessionStatus.CANCELED else "CONFIRMED"
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(f'session-{session.pk}@{host}')}",
        f"DTSTAMP:{format_utc(session.updated_at)}",
        f"DTSTART:{format_utc(session.start)}",
        f"DTEND:{format_utc(session.end)}",
        f"SUMMARY:{escape_text(summary(session))}",
        f"LOCATION:{escape_text(location(session))}",
        f"STATUS:{status}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


def render_feed(practice, sessions, host) -> str:
    """The whole VCALENDAR as text: CRLF line ends, lines folded at 75 octets."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(practice.name)}",
        # Hints for how often subscribers should fetch the feed again.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for session in sessions:
        lines.extend(event_lines(session, host))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)


def invite_ics(session, participant) -> str:
    """A one-event calendar for a participant's invitation e-mail (METHOD:REQUEST).

    The participant sees the host and the practice, not other participants.
    The UID is stable per session and participant, so a reschedule updates the
    event the participant already has, by SEQUENCE (seconds since the session was created).
    """
    from django.conf import settings

    host = settings.SITE_URL.split("//")[-1].split("/")[0]
    status = "CANCELLED" if session.status == SessionStatus.CANCELED else "CONFIRMED"
    sequence = int((session.updated_at - session.created_at).total_seconds())
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{escape_text(f'session-{session.pk}-participant-{participant.pk}@{host}')}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{format_utc(timezone.now())}",
        f"DTSTART:{format_utc(session.start)}",
        f"DTEND:{format_utc(session.end)}",
        f"SUMMARY:{escape_text(f'Session with {session.practitioner} ({session.practice.name})')}",
        f"LOCATION:{escape_text(location(session))}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + CRLF for line in lines)
