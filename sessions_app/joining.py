"""Entering a session with its 9-digit access code (DESIGN.md invariant 7).

A code opens its session only from 15 minutes before the start until the end.
Attempts are throttled per code and per address (Redis), and every failure gets
the same answer, so a wrong code tells nothing about which codes exist.
"""
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from sessions_app.models import Session, SessionStatus

OPENS_BEFORE = timedelta(minutes=15)
WINDOW_SECONDS = 15 * 60
MAX_PER_ADDRESS = 10
MAX_PER_CODE = 5
FAILURE = "That code did not open a session. Check the 9 digits, and come back from 15 minutes before your session starts."
THROTTLED = "Too many tries. Wait 15 minutes and try again."


def _count(key: str) -> int:
    if cache.add(key, 1, WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS)
        return 1


def attempt(code: str, address: str):
    """Return (session, None) when the code opens a session now, else (None, message)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if _count(f"join:addr:{address}") > MAX_PER_ADDRESS or _count(f"join:code:{code}") > MAX_PER_CODE:
        return None, THROTTLED
    if len(code) != 9:
        return None, FAILURE
    now = timezone.now()
    session = (Session.objects.select_related("practice", "practitioner")
               .filter(access_code=code, status=SessionStatus.SCHEDULED, start__lte=now + OPENS_BEFORE, end__gte=now).first())
    if session is None:
        return None, FAILURE
    return session, None


def shown_zone(session: Session) -> str:
    """The zone the waiting room names the start in (the page is anonymous): the participants'
    zone when they share one, else the zone the session was scheduled in."""
    zones = set(session.participants.exclude(time_zone="").values_list("time_zone", flat=True))
    return zones.pop() if len(zones) == 1 else session.time_zone
