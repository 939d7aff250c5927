"""The meeting room's pages (issue 15): the host's room and the participant's device check,
waiting room and call. The media and the admissions run over the meeting's WebSocket
(``sessions_app/consumers``) and ``static/js/meeting.js``; these views only decide who gets
which page, and when.

- Host: ``/sessions/<pk>/meeting/`` for the session's practitioner and the office roles
  (``meetings.may_host``), from 15 minutes before the start until the end
  (``meetings.window_open``); outside that window a plain page says when it opens.
- Participant: ``/meet/<token>/``, the signed join token from ``/join/`` (the access code),
  the portal's Join, or an invitation. No login: the token is the key, so the page is never
  cached. The times are shown in the participant's zone.

Every page allows the camera, the microphone and screen capture for this origin only
(Permissions-Policy); every other page of the site keeps them off. With Janus, the pages may
also connect to the Janus nodes' public addresses (Content-Security-Policy connect-src).
"""
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from practice import access as practice_access
from practice.errors import DomainError
from practice.headers import no_store, permissions_policy
from practice.models import DeliveryMethod
from sessions_app import access, joining, meetings
from sessions_app.models import Meeting, MeetingState, SessionStatus

MEDIA = {"camera": "(self)", "microphone": "(self)", "display-capture": "(self)"}


def media_allowed(view):
    """Camera, microphone and screen capture for this origin; the Janus nodes reachable by the page."""
    view = permissions_policy(**MEDIA)(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        origins = meetings.janus_browser_origins()
        if origins:
            response.csp_overrides = {**getattr(response, "csp_overrides", {}),
                                      "connect-src": " ".join(["'self'", *origins])}
        return response

    return wrapper


def _media_context():
    # Browser-to-browser (mesh): each one sends their video to every other one, so the call is small;
    # through Janus it is not limited here.
    return {"max_people": settings.MEETING_MAX_P2P, "janus": bool(settings.JANUS_URLS)}


def _closed(request, session, zone=None, status=200):
    """The plain page of a meeting that is not open: canceled, over, or when it opens."""
    now = timezone.now()
    if session.delivery_method != DeliveryMethod.VIDEO:
        reason = "not_video"
    elif session.status == SessionStatus.CANCELED:
        reason = "canceled"
    elif _ended(session):
        reason = "meeting_ended"
    elif session.end <= now:
        reason = "ended"
    elif session.start - joining.OPENS_BEFORE > now:
        reason = "not_yet"
    else:
        reason = "closed"
    return render(request, "sessions_app/meeting/closed.html", {
        "session": session, "reason": reason, "opens": session.start - joining.OPENS_BEFORE, "zone": zone,
    }, status=status)


def _ended(session) -> bool:
    """Whether the host has ended the session's meeting (it is held once: nobody enters again)."""
    return Meeting.objects.filter(session=session, state=MeetingState.ENDED).exists()


def _ws_path(session, token=None):
    path = f"/ws/meetings/{session.pk}/"
    return f"{path}?{urlencode({'token': token})}" if token else path


@practice_access.team_required
@media_allowed
def host_room(request, pk):
    session = access.session_for(request.membership, pk)
    if not meetings.may_host(request.user, session):
        raise PermissionDenied
    if not meetings.window_open(session) or _ended(session):
        return _closed(request, session)
    return render(request, "sessions_app/meeting/host.html", {
        "session": session,
        "participants": session.participants.all(),
        "ws_path": _ws_path(session),
        "name": request.user.get_full_name() or request.user.email,
        **_media_context(),
    })


@no_store
@media_allowed
def room(request, token):
    """The device check, then the waiting room, then the call."""
    try:
        session, participant = meetings.read_join_token(token)
    except DomainError as error:
        return render(request, "sessions_app/meeting/closed.html",
                      {"reason": "bad_link", "message": " ".join(error.messages)}, status=404)
    zone = participant.time_zone if participant is not None and participant.time_zone else joining.shown_zone(session)
    if not meetings.window_open(session) or _ended(session):
        return _closed(request, session, zone=zone)
    return render(request, "sessions_app/meeting/room.html", {
        "session": session,
        "participant": participant,
        "zone": zone,
        "ws_path": _ws_path(session, token),
        "name": participant.name if participant is not None else "",
        **_media_context(),
    })
