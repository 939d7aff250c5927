import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from practice.models import TEAM_ROLES, Membership

# Session keys: when this login's session began, and the last request seen (epoch seconds).
STARTED, LAST_SEEN = "signed_in_at", "last_seen_at"
# Last activity is written at most this often (a session save per request would be wasteful).
TOUCH_EVERY = 60


def stamp_login(sender, request, user, **kwargs):
    """On log-in (user_logged_in), record when this session began: the log-in saves the session
    anyway, so the first page after it need not write it again."""
    if request is not None and hasattr(request, "session"):
        request.session[STARTED] = request.session[LAST_SEEN] = time.time()


def _timed_out(request, memberships) -> str | None:
    """Why the signed-in session has ended (the message to show), or None; records this request.

    Every session ends SESSION_COOKIE_AGE after it began (the cookie's age alone would slide,
    since the session is saved as it is used); a member of a practice's team (admin, staff,
    practitioner in any practice) is also signed out after SESSION_IDLE_TIMEOUT_MINUTES without
    a request. Clients keep only the absolute lifetime.
    """
    session, now = request.session, time.time()
    started, last = session.get(STARTED), session.get(LAST_SEEN)
    if started is None or last is None:
        session[STARTED] = session[LAST_SEEN] = now
        return None
    if now - started > settings.SESSION_COOKIE_AGE:
        return "Your session has ended. Log in again."
    idle = settings.SESSION_IDLE_TIMEOUT_MINUTES
    if any(m.role in TEAM_ROLES for m in memberships) and now - last > idle * 60:
        return f"You were signed out after {idle} minutes without activity. Log in again."
    if now - last >= TOUCH_EVERY:
        session[LAST_SEEN] = now
    return None


class PracticeMiddleware:
    """Sets ``request.membership`` and ``request.practice`` and shows times in the viewer's zone.

    A user may belong to several practices; the one chosen is kept in the
    session (``practice_id``), else the oldest active membership is used.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.practice = None
        user = request.user
        if user.is_authenticated:
            memberships = Membership.objects.active().select_related("practice").filter(user=user).order_by("created_at", "id")
            ended = _timed_out(request, memberships)
            if ended:
                logout(request)
                timezone.deactivate()
                messages.info(request, ended)
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                return redirect_to_login(request.get_full_path())
            chosen = request.session.get("practice_id")
            membership = None
            if chosen:
                membership = next((m for m in memberships if m.practice_id == chosen), None)
            membership = membership or next(iter(memberships), None)
            if membership:
                request.membership = membership
                request.practice = membership.practice
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
