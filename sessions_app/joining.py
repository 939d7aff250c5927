"""Entering a session with its 9-digit access code (DESIGN.md invariant 7).

A code opens its session only from 15 minutes before the start until the end.
Attempts are throttled per code and per address (Redis, ``practice.throttle``; the
address is the client's as the trusted proxies report it), and failed guesses are
capped practice-wide too, since the page is anonymous: 100 addresses do not get 100
times the guesses. Every failure gets the same answer, so a wrong code tells
nothing about which codes exist.
"""
import logging
from datetime import timedelta

from django.utils import timezone

from practice import throttle
from sessions_app.models import Session, SessionStatus

log = logging.getLogger(__name__)

OPENS_BEFORE = timedelta(minutes=15)
WINDOW_SECONDS = 15 * 60
MAX_PER_ADDRESS = 10
MAX_PER_CODE = 5
# Failed guesses from all addresses together (tries already throttled do not count).
MAX_FAILURES_SITE_WIDE = 500
SITE_WIDE_KEY = "join:failures:all"
FAILURE = "That code did not open a session. Check the 9 digits, and come back from 15 minutes before your session starts."
THROTTLED = "Too many tries. Wait 15 minutes and try again."


def _failed():
    """Count one failed guess site-wide; the one that reaches the cap raises the alert (once a window)."""
    throttle.hit(SITE_WIDE_KEY, MAX_FAILURES_SITE_WIDE, WINDOW_SECONDS)
    if throttle.over(SITE_WIDE_KEY, MAX_FAILURES_SITE_WIDE) \
            and throttle.first_time(f"{SITE_WIDE_KEY}:alerted", WINDOW_SECONDS):
        log.error("ALERT: access-code guessing: %s wrong codes at /join/ in %s minutes from all "
                  "addresses together; every code entry is refused until the window ends.",
                  MAX_FAILURES_SITE_WIDE, WINDOW_SECONDS // 60)
    return None, FAILURE


def attempt(code: str, address: str):
    """Return (session, None) when the code opens a session now, else (None, message)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if throttle.over(SITE_WIDE_KEY, MAX_FAILURES_SITE_WIDE):
        return None, THROTTLED
    if not throttle.hit(f"join:addr:{address}", MAX_PER_ADDRESS, WINDOW_SECONDS) \
            or not throttle.hit(f"join:code:{code}", MAX_PER_CODE, WINDOW_SECONDS):
        return None, THROTTLED
    if len(code) != 9:
        return _failed()
    now = timezone.now()
    session = (Session.objects.select_related("practice", "practitioner")
               .filter(access_code=code, status=SessionStatus.SCHEDULED, start__lte=now + OPENS_BEFORE, end__gte=now).first())
    if session is None:
        return _failed()
    return session, None


def shown_zone(session: Session) -> str:
    """The zone the waiting room names the start in (the page is anonymous): the participants'
    zone when they share one, else the zone the session was scheduled in."""
    zones = set(session.participants.exclude(time_zone="").values_list("time_zone", flat=True))
    return zones.pop() if len(zones) == 1 else session.time_zone
