from datetime import timedelta

from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from practice import access as practice_access
from sessions_app import access
from sessions_app.forms import TIME_CHOICES
from sessions_app.models import Participant, SessionStatus

DASHBOARD_LIMIT = 25


@practice_access.team_required
def dashboard(request):
    """Upcoming sessions as cards: a practitioner's own; admins and staff see the practice's."""
    now = timezone.now()
    sessions = access.sessions_visible_to(request.membership).filter(end__gte=now).exclude(status=SessionStatus.CANCELED)
    if not request.membership.is_office:
        sessions = sessions.filter(practitioner=request.user)
    invites = Notification.objects.filter(kind=NotificationKind.INVITE).order_by("-created_at")
    sessions = (
        sessions.select_related("room", "practitioner")
        .prefetch_related(
            "participants", "participants__payment_request", "session_services__service",
            Prefetch("participants__notifications", queryset=invites, to_attr="invite_messages"),
        )
        .order_by("start")[:DASHBOARD_LIMIT]
    )
    local_now = timezone.localtime(now)
    return render(request, "sessions_app/dashboard.html", {
        "sessions": sessions,
        "limit": DASHBOARD_LIMIT,
        "time_choices": TIME_CHOICES,
        "tomorrow": (local_now + timedelta(days=1)).date(),
        "today": local_now.date(),
    })


@practice_access.role_required("client")
def my_sessions(request):
    mine = Participant.objects.filter(client=request.user)
    sessions = (
        access.sessions_visible_to(request.membership)
        .filter(end__gte=timezone.now())
        .exclude(status=SessionStatus.CANCELED)
        .select_related("practitioner", "room")
        .prefetch_related(Prefetch("participants", queryset=mine, to_attr="my_participation"))[:50]
    )
    return render(request, "sessions_app/my_sessions.html", {"sessions": sessions})
