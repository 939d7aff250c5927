"""Enter Meeting (the team's dashboard and session page) and Join (the client portal).

The meeting of a video session opens from 15 minutes before its start until its end
(``meetings.window_open``). Outside that window the team's button is shown disabled with
the reason as its tooltip; the portal's Join is shown only while the window is open.
No query is made for a session whose meeting is closed (the lists show many sessions).
"""
from django import template
from django.urls import reverse
from django.utils import dateformat, timezone

from practice.models import OFFICE_ROLES, DeliveryMethod
from sessions_app import meetings
from sessions_app.joining import OPENS_BEFORE
from sessions_app.models import SessionStatus

register = template.Library()


def _wall(moment, now):
    """A moment in the active zone (the viewer's): "9:45 AM", or "Tue, Jan 16, 9:45 AM" on another day."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    return dateformat.format(local, "g:i A" if local.date() == today else "D, M j, g:i A")


def closed_reason(session, now) -> str:
    """Why the meeting is not open now, in words for the button's tooltip."""
    if session.status == SessionStatus.CANCELED:
        return "The session is canceled."
    if session.end <= now:
        return "The session has ended."
    if session.start - OPENS_BEFORE > now:
        return f"Opens at {_wall(session.start - OPENS_BEFORE, now)}, 15 minutes before the start."
    return "The meeting is not open for this session."


def may_enter(membership, session) -> bool:
    """The host (the session's practitioner) and the office roles: ``meetings.may_host`` without a query."""
    if membership is None or membership.practice_id != session.practice_id:
        return False
    return membership.role in OFFICE_ROLES or session.practitioner_id == membership.user_id


@register.inclusion_tag("sessions_app/meeting/_enter_button.html", takes_context=True)
def enter_meeting(context, session, large=False):
    """The Enter Meeting button of a video session, for those who may host it."""
    membership = context.get("current_membership")
    if session.delivery_method != DeliveryMethod.VIDEO or not may_enter(membership, session):
        return {"shown": False}
    now = timezone.now()
    is_open = meetings.window_open(session, now=now)
    return {
        "shown": True, "is_open": is_open, "large": large,
        "url": reverse("meetings:host_room", args=[session.pk]),
        "reason": "" if is_open else closed_reason(session, now),
    }


@register.simple_tag(takes_context=True)
def portal_join_url(context, session):
    """The client's Join link (their own signed join token) while the meeting is open, else ''."""
    user = context.get("user")
    if session.delivery_method != DeliveryMethod.VIDEO or user is None or not user.is_authenticated:
        return ""
    if not meetings.window_open(session):
        return ""
    participant = session.participants.filter(client=user).order_by("pk").first()
    if participant is None:
        return ""
    return reverse("meetings:room", args=[meetings.join_token(session, participant)])
