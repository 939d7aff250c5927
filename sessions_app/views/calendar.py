"""The calendar page, its events endpoint, moving sessions by drag, and closures."""
import zoneinfo
from datetime import datetime, timedelta

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.errors import DomainError
from practice.models import OFFICE_ROLES, TEAM_ROLES, Role
from practice.selectors import practitioners
from sessions_app import access, closures, scheduling
from sessions_app.forms import ClosureForm
from sessions_app.models import SessionStatus
from sessions_app.presentation import event_color

# The widest range one events request may ask for (a month view shows six weeks).
MAX_RANGE = timedelta(days=62)


@practice_access.member_required
def calendar(request):
    office = request.membership.role in OFFICE_ROLES
    upcoming = access.closures_of(request.membership).filter(end_date__gte=timezone.localdate()).order_by("start_date")[:20]
    return render(request, "sessions_app/calendar.html", {
        "practitioners": practitioners(request.practice) if office else [],
        "can_schedule": request.membership.role in TEAM_ROLES,
        "can_close": office,
        "closure_form": ClosureForm(),
        "closures": upcoming,
    })


def _parse_wall(value, zone):
    """A FullCalendar date (wall time in the viewer's zone, with or without a trailing Z) as aware."""
    value = (value or "").strip().replace("Z", "").split("+")[0]
    naive = datetime.fromisoformat(value)
    return naive.replace(tzinfo=None).replace(tzinfo=zone)


def _title(session, team):
    clients = session.client_participants
    if not team:
        return f"Session with {session.practitioner}"
    if session.kind == "orientation":
        return "Orientation"
    if len(clients) > 1:
        return f"Group ({len(clients)})"
    return clients[0].name if clients else "Session"


@practice_access.member_required
def calendar_events(request):
    zone = timezone.get_current_timezone()
    try:
        start = _parse_wall(request.GET.get("start"), zone)
        end = _parse_wall(request.GET.get("end"), zone)
    except ValueError:
        return JsonResponse({"error": "start and end must be dates."}, status=400)
    end = min(end, start + MAX_RANGE)
    team = request.membership.role in TEAM_ROLES
    sessions = access.sessions_visible_to(request.membership).filter(start__lt=end, end__gt=start)
    chosen = request.GET.get("practitioner", "")
    if chosen.isdigit() and request.membership.role in OFFICE_ROLES:
        sessions = sessions.filter(practitioner_id=int(chosen))
    elif request.membership.role == Role.CLIENT:
        sessions = sessions.exclude(status=SessionStatus.CANCELED)
    sessions = list(sessions.select_related("practitioner", "room").prefetch_related("participants").order_by("start"))
    practice_zone = zoneinfo.ZoneInfo(request.practice.time_zone)
    shut = list(closures.closures_between(request.practice, start.astimezone(practice_zone).date(), end.astimezone(practice_zone).date()))
    now = timezone.now()
    events = []
    for session in sessions:
        closure = closures.closure_on(session.start.astimezone(practice_zone).date(), shut)
        movable = team and session.status == SessionStatus.SCHEDULED and session.end > now - scheduling.PAST_GRACE
        events.append({
            "id": session.pk,
            # The saved outcome follows the name: "Jamie Rivera · Late Cancel" (a client sees their own).
            "title": " · ".join(filter(None, [_title(session, team), session.completion_label if team else next(
                (p.completion_label for p in session.participants.all() if p.client_id == request.user.pk), "")])),
            "start": timezone.localtime(session.start).replace(tzinfo=None).isoformat(),
            "end": timezone.localtime(session.end).replace(tzinfo=None).isoformat(),
            "url": reverse("sessions_app:session_detail", args=[session.pk]),
            "color": event_color(session.status),
            "borderColor": "#dc3545" if closure and session.status == SessionStatus.SCHEDULED else None,
            "editable": movable,
            "classNames": [f"status-{session.status}"] + (["on-closure"] if closure else []) + (["past"] if session.end < now else []),
            "extendedProps": {
                "status": session.get_status_display(),
                "group": session.is_group,
                "practitioner": str(session.practitioner),
                "room": str(session.room or ""),
                "closure": str(closure) if closure else "",
            },
        })
    for closure in shut:
        events.append({
            "id": f"closure-{closure.pk}", "title": f"Closed: {closure.title}", "allDay": True,
            "start": closure.start_date.isoformat(), "end": (closure.end_date + timedelta(days=1)).isoformat(),
            "display": "background", "color": "#dc3545", "classNames": ["closure"],
        })
    return JsonResponse(events, safe=False)


@practice_access.team_required
@require_POST
def session_move(request, pk):
    session = access.session_for(request.membership, pk)
    zone = timezone.get_current_timezone()
    try:
        start = _parse_wall(request.POST.get("start"), zone)
        end = _parse_wall(request.POST.get("end"), zone)
    except ValueError:
        return JsonResponse({"error": "The new time could not be read."}, status=400)
    try:
        scheduling.move_session(practice=request.practice, actor=request.user, session=session, start=start, end=end)
    except scheduling.SlotOnClosure as error:
        return JsonResponse({"error": f"{error.message} Open the session to schedule it there anyway."}, status=400)
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"ok": True})


@practice_access.office_required
@require_POST
def closure_add(request):
    form = ClosureForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label if f in form.fields else ''} {' '.join(e)}".strip() for f, e in form.errors.items())
        messages.error(request, f"The closure was not added: {errors}")
        return redirect("sessions_app:calendar")
    closure = closures.add_closure(practice=request.practice, actor=request.user, **form.cleaned_data)
    affected = closures.sessions_in_closure(closure).count()
    note = f" {affected} scheduled session{'s' if affected != 1 else ''} fall on it; they are marked on the calendar." if affected else ""
    messages.success(request, f"Closure “{closure}” added.{note}")
    return redirect(f"{reverse('sessions_app:calendar')}?date={closure.start_date.isoformat()}")


@practice_access.office_required
@require_POST
def closure_delete(request, pk):
    closure = access.closure_for(request.membership, pk)
    closure.delete()
    messages.success(request, f"Closure “{closure.title}” removed.")
    return redirect("sessions_app:calendar")
