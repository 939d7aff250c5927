from datetime import datetime, time, timedelta

from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from practice import access as practice_access
from sessions_app import access, documents
from sessions_app.forms import TIME_CHOICES
from sessions_app.models import BookingState, DocumentRequest, SessionStatus

DASHBOARD_LIMIT = 25
REQUESTS_SHOWN = 10


@practice_access.team_required
def dashboard(request):
    """Today first (the viewer's zone), then the upcoming sessions as cards: a practitioner's own;
    admins and staff see the practice's. One query for both lists (the split is by start date)."""
    now = timezone.now()
    local_now = timezone.localtime(now)
    today = local_now.date()
    start_of_today = datetime.combine(today, time.min, tzinfo=local_now.tzinfo)
    sessions = (
        access.sessions_visible_to(request.membership)
        .filter(end__gt=start_of_today)
        .exclude(status=SessionStatus.CANCELED)
    )
    if not request.membership.is_office:
        sessions = sessions.filter(practitioner=request.user)
    invites = Notification.objects.filter(kind=NotificationKind.INVITE).order_by("-created_at")
    sessions = (
        sessions.select_related("room", "practitioner")
        .prefetch_related(
            "participants", "participants__payment_request", "session_services__service",
            Prefetch("participants__notifications", queryset=invites, to_attr="invite_messages"),
            # "Documents: 1 of 3 signed" on each participant: one query for the whole page.
            Prefetch("participants__document_requests", queryset=documents.with_status(DocumentRequest.objects.all())),
        )
        .order_by("start")[:DASHBOARD_LIMIT]
    )
    # Portal requests waiting for an answer, however far out (the lists below stop at 25 sessions).
    requests = (
        access.sessions_visible_to(request.membership)
        .filter(booking_state=BookingState.REQUESTED, status=SessionStatus.SCHEDULED, start__gte=now)
        .select_related("practitioner").prefetch_related("participants").order_by("start")
    )
    if not request.membership.is_office:
        requests = requests.filter(practitioner=request.user)
    today_sessions, upcoming = [], []
    for session in sessions:
        if timezone.localtime(session.start).date() <= today:
            session.has_ended, session.is_now = session.end <= now, session.start <= now < session.end
            today_sessions.append(session)
        else:
            upcoming.append(session)
    return render(request, "sessions_app/dashboard.html", {
        "requests": list(requests[:REQUESTS_SHOWN]),
        "today_sessions": today_sessions,
        "sessions": upcoming,
        "shown": len(today_sessions) + len(upcoming),
        "limit": DASHBOARD_LIMIT,
        "time_choices": TIME_CHOICES,
        "tomorrow": today + timedelta(days=1),
        "today": today,
    })

