"""Scheduling pages: New Session Now, New Scheduled Session, Orientation Session, edit and cancel."""
import zoneinfo
from datetime import date, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.models import TEAM_ROLES, DeliveryMethod, Service
from sessions_app import access, scheduling
from sessions_app.forms import ParticipantFormSet, ServiceFormSet, SessionForm
from sessions_app.models import InviteMethod, SessionKind, SessionStatus


def _forms(request, *, session=None, initial=None, participants=None, services=None):
    data = request.POST if request.method == "POST" else None
    contacts = access.contacts_visible_to(request)
    service_formset = ServiceFormSet(data, prefix="services", initial=services, form_kwargs={"practice": request.practice})
    if services is None:
        service_formset.extra = 1
    return (
        SessionForm(data, request=request, session=session, initial=initial),
        service_formset,
        ParticipantFormSet(data, prefix="participants", initial=participants, form_kwargs={"contacts": contacts}),
    )


def _session_data(form, services, participants):
    c = form.cleaned_data
    return scheduling.SessionData(
        practitioner=c["practitioner"], start=c["start"], duration_minutes=c["duration_minutes"], time_zone=c["time_zone"],
        room=c["room"], delivery_method=c["delivery_method"], kind=c["kind"],
        public_note=c["public_note"], private_note=c["private_note"],
        services=[(row["service"], row["price"]) for row in services.rows() if row.get("service")],
        participants=[
            scheduling.ParticipantData(
                id=row.get("id"), name=row["name"], invite_method=row["invite_method"], time_zone=row["time_zone"],
                email=row["email"], phone=row["phone"], contact=row.get("contact"),
                client=row["contact"].client if row.get("contact") else None,
                is_client=row.get("is_client", True), save_as_contact=row.get("save_contact", False),
            )
            for row in participants.rows()
        ],
    )


def _render(request, form, services, participants, session=None):
    prices = {s.pk: str(s.price) for s in Service.objects.filter(practice=request.practice, is_active=True)}
    return render(request, "sessions_app/session_form.html", {
        "form": form, "services": services, "participants": participants, "session": session, "service_prices": prices,
    })


def _new_initial(request):
    """Prefill from the dashboard button that opened the form."""
    zone_name = request.user.time_zone
    local_now = timezone.localtime(timezone.now())
    initial = {
        "practitioner": request.user.pk if request.membership.role != "staff" else None,
        "time_zone": zone_name, "duration_minutes": 50, "kind": SessionKind.REGULAR,
        "delivery_method": DeliveryMethod.IN_PERSON,
    }
    if request.GET.get("now"):
        initial["day"] = local_now.date()
        initial["start_time"] = local_now.replace(minute=local_now.minute - local_now.minute % 5).strftime("%H:%M")
    else:
        try:
            initial["day"] = date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            initial["day"] = (local_now + timedelta(days=1)).date()
        try:
            initial["start_time"] = time.fromisoformat(request.GET.get("time", "")).strftime("%H:%M")
        except ValueError:
            initial["start_time"] = "09:00"
    participant = {"invite_method": InviteMethod.EMAIL, "time_zone": zone_name, "is_client": True}
    if request.GET.get("orientation"):
        practice = request.practice
        initial.update(kind=SessionKind.ORIENTATION, delivery_method=DeliveryMethod.VIDEO, duration_minutes=30)
        participant.update(
            name=practice.support_name or "Tech Support", email=practice.support_email,
            invite_method=InviteMethod.EMAIL if practice.support_email else InviteMethod.NONE,
            time_zone=practice.time_zone, is_client=False,
        )
    return initial, [participant]


@practice_access.team_required
def session_new(request):
    initial, participant_initial = _new_initial(request)
    form, services, participants = _forms(request, initial=initial, participants=participant_initial)
    if request.method == "POST" and all([form.is_valid(), services.is_valid(), participants.is_valid()]):
        try:
            session = scheduling.schedule_session(
                practice=request.practice, actor=request.user, data=_session_data(form, services, participants)
            )
        except scheduling.SchedulingConflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, f"Session saved. Access code {session.access_code}.")
            return redirect("sessions_app:dashboard")
    return _render(request, form, services, participants)


def _editable(request, pk):
    session = access.session_for(request, pk)
    practice_access.require(request, TEAM_ROLES)
    return session


@practice_access.member_required
def session_edit(request, pk):
    session = _editable(request, pk)
    if session.status != SessionStatus.SCHEDULED:
        messages.error(request, "Only a scheduled session can be edited.")
        return redirect("sessions_app:dashboard")
    local_start = timezone.localtime(session.start, timezone=zoneinfo.ZoneInfo(session.time_zone))
    initial = {
        "practitioner": session.practitioner_id, "room": session.room_id, "delivery_method": session.delivery_method,
        "day": local_start.date(), "start_time": local_start.strftime("%H:%M"), "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes, "public_note": session.public_note,
        "private_note": session.private_note, "kind": session.kind,
    }
    service_rows = [{"service": line.service_id, "price": line.price} for line in session.session_services.all()]
    people = [
        {"id": p.pk, "contact": p.contact_id, "name": p.name, "invite_method": p.invite_method, "email": p.email,
         "phone": p.phone, "time_zone": p.time_zone, "is_client": p.is_client}
        for p in session.participants.all()
    ]
    form, services, participants = _forms(request, session=session, initial=initial, participants=people, services=service_rows)
    if request.method == "POST" and all([form.is_valid(), services.is_valid(), participants.is_valid()]):
        try:
            scheduling.update_session(
                practice=request.practice, actor=request.user, session=session,
                data=_session_data(form, services, participants),
            )
        except scheduling.SchedulingConflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, "Session updated.")
            return redirect("sessions_app:dashboard")
    return _render(request, form, services, participants, session=session)


@practice_access.member_required
@require_POST
def session_cancel(request, pk):
    session = _editable(request, pk)
    try:
        scheduling.cancel_session(practice=request.practice, actor=request.user, session=session)
    except ValidationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Session on {timezone.localtime(session.start):%b %d at %I:%M %p} canceled.")
    return redirect("sessions_app:dashboard")
