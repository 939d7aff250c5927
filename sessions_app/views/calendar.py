"""The calendar page, its events endpoint, moving sessions by drag, and closures."""
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.errors import DomainError
from practice.models import OFFICE_ROLES, TEAM_ROLES, Role
from practice.selectors import practitioners
from practice.timezones import wall_time_to_aware
from sessions_app import access, closures, scheduling
from sessions_app.forms import ClosureForm
from sessions_app.models import SessionStatus
from sessions_app.presentation import event_color

# The widest range one events request may ask for (a month view shows six weeks).
MAX_RANGE = timedelta(days=62)
REQUESTED_COLOR = "#d39e00"  # a portal request, held until the practitioner answers


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


def _parse_instant(value, zone_name):
    """A time the calendar sent, as an aware datetime.

    An ISO 8601 time with an offset (or ``Z``) is that instant. One without is a wall
    time in the viewer's zone, read by the form's rule (``wall_time_to_aware``): a time
    skipped by a clock change moves forward by the gap, a repeated one is its first
    occurrence. Anything else raises ValueError.
    """
    value = (value or "").strip()
    if not value:
        raise ValueError("no time")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = wall_time_to_aware(moment.date(), moment.time(), zone_name)
        moment.astimezone(UTC)  # far ends of the calendar overflow once converted
    except OverflowError as error:
        raise ValueError(value) from error
    return moment


def _short_name(person):
    """"Dana Hill" as "Dana H.": fits the little space of an event in the month view."""
    first, last = person.first_name.strip(), person.last_name.strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or last or str(person)


def _title(session, team):
    clients = session.client_participants
    if not team:  # a client's own session: who it is with (the event shows its time)
        return _short_name(session.practitioner)
    if session.kind == "orientation":
        return "Orientation"
    if len(clients) > 1:
        return f"Group ({len(clients)})"
    return clients[0].name if clients else "Session"


@practice_access.member_required
def calendar_events(request):
    try:
        start = _parse_instant(request.GET.get("start"), request.user.time_zone)
        end = min(_parse_instant(request.GET.get("end"), request.user.time_zone), start + MAX_RANGE)
    except (ValueError, OverflowError):
        return JsonResponse({"error": "start and end must be dates."}, status=400)
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
            "title": " · ".join(filter(None, ["Requested" if session.is_requested else "", _title(session, team),
                                             session.completion_label if team else next(
                (p.completion_label for p in session.participants.all() if p.client_id == request.user.pk), "")])),
            # With the offset: 01:30 before and after the clock goes back are two instants.
            "start": timezone.localtime(session.start).isoformat(),
            "end": timezone.localtime(session.end).isoformat(),
            "url": reverse("sessions_app:session_detail", args=[session.pk]),
            "color": REQUESTED_COLOR if session.is_requested else event_color(session.status),
            "borderColor": "#dc3545" if closure and session.status == SessionStatus.SCHEDULED else None,
            "editable": movable,
            "classNames": [f"status-{session.status}"] + (["requested"] if session.is_requested else [])
            + (["on-closure"] if closure else []) + (["past"] if session.end < now else []),
            "extendedProps": {
                "status": "Requested" if session.is_requested else session.get_status_display(),
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
    """A drag posts the new ``start`` (the session keeps its elapsed length), a resize the new
    ``end`` (the start stays); each an ISO 8601 instant, or a wall time in the viewer's zone."""
    session = access.session_for(request.membership, pk)
    posted_start, posted_end = request.POST.get("start"), request.POST.get("end")
    try:
        if not (posted_start or posted_end):
            raise ValueError("no time")
        start = _parse_instant(posted_start, request.user.time_zone) if posted_start else session.start
        # Elapsed time: added in UTC, so a clock change on the way neither stretches nor shrinks it.
        end = (_parse_instant(posted_end, request.user.time_zone) if posted_end
               else start.astimezone(UTC) + (session.end - session.start))
    except (ValueError, OverflowError):
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
    try:
        with transaction.atomic():  # the closure and what the page says about it: all or nothing
            closure = closures.add_closure(practice=request.practice, actor=request.user, **form.cleaned_data)
            affected = closures.sessions_in_closure(closure).count()
    except DomainError as error:
        messages.error(request, f"The closure was not added: {error.message}")
        return redirect("sessions_app:calendar")
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
