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
from sessions_app.models import BookingState, Participant, SessionKind, SessionStatus
from sessions_app.presentation import event_color

# The widest range one events request may ask for: a month view shows six weeks (and a clock
# change may add an hour to them).
MAX_RANGE = timedelta(weeks=6, days=1)
# The most sessions one answer carries for an office member who has not chosen a practitioner
# (a large practice's month is thousands); the page says so and offers the filter.
OFFICE_CAP = 500
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


def _short_name(first, last, email):
    """"Dana Hill" as "Dana H.": fits the little space of an event in the month view."""
    first, last = first.strip(), last.strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or last or email


def _full_name(first, last, email):
    """As ``str(user)``: the full name, else the e-mail address."""
    return f"{first} {last}".strip() or email


def _title(row, clients, team):
    if not team:  # a client's own session: who it is with (the event shows its time)
        return _short_name(row["practitioner__first_name"], row["practitioner__last_name"], row["practitioner__email"])
    if row["kind"] == SessionKind.ORIENTATION:
        return "Orientation"
    if len(clients) > 1:
        return f"Group ({len(clients)})"
    return clients[0]["name"] if clients else "Session"


SESSION_FIELDS = ("id", "start", "end", "status", "booking_state", "kind", "completion_label", "practitioner__first_name",
                  "practitioner__last_name", "practitioner__email", "room__name")
STATUS_LABELS = dict(SessionStatus.choices)
STATUS_COLORS = {status: event_color(status) for status in SessionStatus.values}


def _capped_notice(last_start, cap):
    """What the office view says when a range holds more sessions than one answer carries (ASCII: it travels in a header)."""
    last = timezone.localtime(last_start)
    hour = last.hour % 12 or 12
    return (f"Showing the first {cap} sessions only, up to {last:%a %b} {last.day}, {hour}:{last:%M %p}. "
            "Pick a practitioner, or the Week or Day view, to see them all.")


@practice_access.member_required
def calendar_events(request):
    """The sessions and closures of a range (at most MAX_RANGE), as FullCalendar event objects.

    Read as plain rows (``values()``): one query for the sessions, one for their participants,
    one for the closures, whatever the number of events. An office member with no practitioner
    chosen gets at most OFFICE_CAP sessions, and the ``X-Calendar-Notice`` header says so.
    """
    try:
        start = _parse_instant(request.GET.get("start"), request.user.time_zone)
        end = min(_parse_instant(request.GET.get("end"), request.user.time_zone), start + MAX_RANGE)
    except (ValueError, OverflowError):
        return JsonResponse({"error": "start and end must be dates."}, status=400)
    role = request.membership.role
    team = role in TEAM_ROLES
    sessions = access.sessions_visible_to(request.membership).filter(start__lt=end, end__gt=start)
    chosen = request.GET.get("practitioner", "")
    cap = None
    if chosen.isdigit() and role in OFFICE_ROLES:
        sessions = sessions.filter(practitioner_id=int(chosen))
    elif role in OFFICE_ROLES:
        cap = OFFICE_CAP
    elif role == Role.CLIENT:
        sessions = sessions.exclude(status=SessionStatus.CANCELED)
    sessions = sessions.order_by("start", "id").values(*SESSION_FIELDS)
    rows = list(sessions[: cap + 1] if cap else sessions)
    notice = ""
    if cap and len(rows) > cap:
        rows = rows[:cap]
        notice = _capped_notice(rows[-1]["start"], cap)
    people = {}
    for person in (Participant.objects.filter(session_id__in=[row["id"] for row in rows])
                   .order_by("session_id", "id").values("session_id", "name", "is_client", "client_id", "completion_label")):
        people.setdefault(person["session_id"], []).append(person)
    practice_zone = zoneinfo.ZoneInfo(request.practice.time_zone)
    shut = list(closures.closures_between(request.practice, start.astimezone(practice_zone).date(), end.astimezone(practice_zone).date()))
    now = timezone.now()
    moved_before = now - scheduling.PAST_GRACE
    viewer_zone = timezone.get_current_timezone()
    url_head, url_tail = reverse("sessions_app:session_detail", args=[0]).rsplit("0", 1)
    events = []
    for row in rows:
        status, session_end = row["status"], row["end"]
        everyone = people.get(row["id"], [])
        clients = [p for p in everyone if p["is_client"]]
        requested = row["booking_state"] == BookingState.REQUESTED and status == SessionStatus.SCHEDULED
        closure = closures.closure_on(row["start"].astimezone(practice_zone).date(), shut) if shut else None
        outcome = row["completion_label"] if team else next(
            (p["completion_label"] for p in everyone if p["client_id"] == request.user.pk), "")
        classes = [f"status-{status}"]
        if requested:
            classes.append("requested")
        if closure:
            classes.append("on-closure")
        if session_end < now:
            classes.append("past")
        events.append({
            "id": row["id"],
            # The saved outcome follows the name: "Jamie Rivera · Late Cancel" (a client sees their own).
            "title": " · ".join(filter(None, ["Requested" if requested else "", _title(row, clients, team), outcome])),
            # With the offset: 01:30 before and after the clock goes back are two instants.
            "start": row["start"].astimezone(viewer_zone).isoformat(),
            "end": session_end.astimezone(viewer_zone).isoformat(),
            "url": f"{url_head}{row['id']}{url_tail}",
            "color": REQUESTED_COLOR if requested else STATUS_COLORS.get(status, STATUS_COLORS[SessionStatus.SCHEDULED]),
            "borderColor": "#dc3545" if closure and status == SessionStatus.SCHEDULED else None,
            "editable": team and status == SessionStatus.SCHEDULED and session_end > moved_before,
            "classNames": classes,
            "extendedProps": {
                "status": "Requested" if requested else STATUS_LABELS.get(status, status),
                "group": len(clients) > 1,
                "practitioner": _full_name(row["practitioner__first_name"], row["practitioner__last_name"], row["practitioner__email"]),
                "room": row["room__name"] or "",
                "closure": str(closure) if closure else "",
            },
        })
    for closure in shut:
        events.append({
            "id": f"closure-{closure.pk}", "title": f"Closed: {closure.title}", "allDay": True,
            "start": closure.start_date.isoformat(), "end": (closure.end_date + timedelta(days=1)).isoformat(),
            "display": "background", "color": "#dc3545", "classNames": ["closure"],
        })
    response = JsonResponse(events, safe=False)
    if notice:
        response["X-Calendar-Notice"] = notice
    return response


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
