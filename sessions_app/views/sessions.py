"""Scheduling pages: New Session Now, New Scheduled Session, Orientation Session, edit and cancel."""
import zoneinfo
from datetime import date, time, timedelta

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.errors import DomainError
from practice.models import TEAM_ROLES, DeliveryMethod
from practice.timezones import wall_time_to_aware
from sessions_app import access, documents, money, scheduling, series
from sessions_app.forms import ParticipantFormSet, RepeatForm, SeriesScopeForm, ServiceFormSet, SessionForm
from sessions_app.models import InviteMethod, SessionKind, SessionStatus


def _forms(request, *, session=None, initial=None, participants=None, services=None, picked=None):
    data = request.POST if request.method == "POST" else None
    contacts = access.contacts_visible_to(request.membership)
    payable = practice_access.services_of(request.membership).filter(is_active=True)
    payment_services = payable if request.practice.stripe_ready else None
    session_form = SessionForm(data, request=request, session=session, initial=initial)
    # One query for every participant row; a package picked before and archived since stays offered.
    packages = list(documents.packages_for_form(request.practice, also=(picked or {}).values())) or None
    participant_formset = ParticipantFormSet(data, prefix="participants", initial=participants,
                                             form_kwargs={"contacts": contacts, "payment_services": payment_services,
                                                          "practice": request.practice,
                                                          "document_packages": packages})
    # The services read the other two: a session with a client needs one (not an orientation).
    service_formset = ServiceFormSet(data, prefix="services", initial=services, form_kwargs={"practice": request.practice},
                                     session_form=session_form, participants=participant_formset)
    if services is None:
        service_formset.extra = 1
    return session_form, service_formset, participant_formset


def _session_data(form, services, participants):
    c = form.cleaned_data
    return scheduling.SessionData(
        practitioner=c["practitioner"], start=c["start"], duration_minutes=c["duration_minutes"], time_zone=c["time_zone"],
        day=c["day"], wall_time=c["start_time"],  # as typed: a series repeats these, not a gap-moved start
        room=c["room"], delivery_method=c["delivery_method"], kind=c["kind"],
        public_note=c["public_note"], private_note=c["private_note"],
        services=[(row["service"], row["price"]) for row in services.rows() if row.get("service")],
        participants=[
            scheduling.ParticipantData(
                id=row.get("id"), name=row["name"], invite_method=row["invite_method"], time_zone=row["time_zone"],
                email=row["email"], phone=row["phone"], contact=row.get("contact"),
                client=row["contact"].client if row.get("contact") else None,
                is_client=row.get("is_client", True), save_as_contact=row.get("save_contact", False),
                payment_service=row.get("payment_service"), payment_amount=row.get("payment_amount"),
                document_package=row.get("document_package", scheduling.KEEP_DOCUMENTS),
            )
            for row in participants.rows()
        ],
    )


def _payment_initial(participant) -> dict:
    terms = money.payment_request(participant)
    if terms is None:
        return {"require_payment": False, "payment_service": None, "payment_amount": None}
    return {"require_payment": True, "payment_service": terms.service_id, "payment_amount": terms.amount}


def _render(request, form, services, participants, session=None, **extra):
    prices = {s.pk: str(s.price) for s in practice_access.services_of(request.membership).filter(is_active=True)}
    return render(request, "sessions_app/session_form.html", {
        "form": form, "services": services, "participants": participants, "session": session, "service_prices": prices,
        **extra,
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
        length = request.GET.get("length", "")
        if length.isdigit() and 5 <= int(length) <= 720:
            initial["duration_minutes"] = int(length)
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
    repeat_form = RepeatForm(request.POST if request.method == "POST" else None, prefix="repeat")
    if request.method != "POST" or not all(
        [form.is_valid(), services.is_valid(), participants.is_valid(), repeat_form.is_valid()]
    ):
        return _render(request, form, services, participants, repeat_form=repeat_form)
    data = _session_data(form, services, participants)
    repeat = repeat_form.repeat()
    if repeat is None:
        try:
            session = scheduling.schedule_session(practice=request.practice, actor=request.user, data=data)
        except DomainError as conflict:  # an overlap, or a rule the forms did not catch
            form.add_error(None, conflict.message)
            return _render(request, form, services, participants, repeat_form=repeat_form)
        messages.success(request, f"Session saved. Access code {session.access_code}.")
        return redirect("sessions_app:dashboard")

    if not repeat_form.check_against(form.cleaned_data["day"]):
        return _render(request, form, services, participants, repeat_form=repeat_form)
    today = timezone.localdate()
    if request.POST.get("action") != "confirm":
        # Show what the schedule will create; nothing is written until the host confirms.
        draft = series.new_series(practice=request.practice, actor=request.user, data=data, repeat=repeat)
        days = series.planned_days(draft, today) if draft.enabled else [draft.first_day]
        occurrences = series.preview(draft, days)
        return _render(request, form, services, participants, repeat_form=repeat_form, preview=occurrences,
                       flagged=sum(1 for o in occurrences if o.flagged), draft=draft)
    saved, made, skipped = series.create_series(
        practice=request.practice, actor=request.user, data=data, repeat=repeat, today=today
    )
    note = f" {len(skipped)} skipped (conflict or closure)." if skipped else ""
    state = "" if saved.enabled else " The schedule is saved but not enabled, so only the first session was made."
    messages.success(request, f"Recurring schedule saved: {len(made)} sessions.{note}{state}")
    return redirect("sessions_app:dashboard")


def _editable(request, pk):
    session = access.session_for(request.membership, pk)
    practice_access.require(request.membership, TEAM_ROLES)
    return session


def _typed_time(session, local_start) -> time:
    """The wall time the edit form shows. An occurrence held at 03:30 because its series'
    02:30 fell in a spring-forward gap shows 02:30: saved unchanged, it keeps its start, and
    an edit of the whole series keeps the series at 02:30."""
    shown = local_start.time().replace(second=0, microsecond=0)
    if not session.series_id:
        return shown
    typed = session.series
    if (typed.time_zone == session.time_zone and typed.start_time != shown
            and wall_time_to_aware(local_start.date(), typed.start_time, typed.time_zone) == session.start):
        return typed.start_time
    return shown


@practice_access.member_required
def session_edit(request, pk):
    session = _editable(request, pk)
    if session.status != SessionStatus.SCHEDULED:
        messages.error(request, "Only a scheduled session can be edited.")
        return redirect("sessions_app:dashboard")
    local_start = timezone.localtime(session.start, timezone=zoneinfo.ZoneInfo(session.time_zone))
    initial = {
        "practitioner": session.practitioner_id, "room": session.room_id, "delivery_method": session.delivery_method,
        "day": local_start.date(), "start_time": _typed_time(session, local_start).strftime("%H:%M"),
        "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes, "public_note": session.public_note,
        "private_note": session.private_note, "kind": session.kind,
    }
    prefetch_related_objects([session], "participants__payment_request")
    picked = documents.packages_picked(session)
    service_rows = [{"service": line.service_id, "price": line.price} for line in session.session_services.all()]
    people = [
        {"id": p.pk, "contact": p.contact_id, "name": p.name, "invite_method": p.invite_method, "email": p.email,
         "phone": p.phone, "time_zone": p.time_zone, "is_client": p.is_client, **_payment_initial(p),
         "document_package": picked.get(p.pk)}
        for p in session.participants.all()
    ]
    form, services, participants = _forms(request, session=session, initial=initial, participants=people,
                                          services=service_rows, picked=picked)
    scope_form = SeriesScopeForm(request.POST if request.method == "POST" else None)
    forms_valid = all([form.is_valid(), services.is_valid(), participants.is_valid(), scope_form.is_valid()])
    if request.method == "POST" and forms_valid:
        try:
            count = series.update_in_series(
                practice=request.practice, actor=request.user, session=session,
                data=_session_data(form, services, participants), scope=scope_form.cleaned_data["scope"],
            )
        except DomainError as conflict:  # an overlap, or a rule the forms did not catch
            form.add_error(None, conflict.message)
        else:
            messages.success(request, "Session updated." if count == 1 else f"{count} sessions updated.")
            return redirect("sessions_app:dashboard")
    return _render(request, form, services, participants, session=session, scope_form=scope_form)


@practice_access.member_required
@require_POST
def session_cancel(request, pk):
    session = _editable(request, pk)
    scope = request.POST.get("scope", "this")
    if session.status != SessionStatus.SCHEDULED:
        messages.error(request, "Only a scheduled session can be canceled.")
    elif scope not in ("this", "following", "all"):
        messages.error(request, "Choose which sessions to cancel.")
    elif scope == "this":
        scheduling.cancel_session(practice=request.practice, actor=request.user, session=session)
        messages.success(request, f"Session on {timezone.localtime(session.start):%b %d at %I:%M %p} canceled.")
    else:
        count = series.cancel_in_series(practice=request.practice, actor=request.user, session=session, scope=scope)
        messages.success(request, f"{count} sessions canceled.")
    return redirect("sessions_app:dashboard")


@practice_access.team_required
@require_POST
def series_enable(request, pk):
    session = _editable(request, pk)
    if session.series is None:
        raise Http404
    made = series.enable_series(practice=request.practice, actor=request.user, series=session.series, today=timezone.localdate())
    messages.success(request, f"Schedule enabled: {made} more sessions.")
    return redirect("sessions_app:session_edit", pk=session.pk)
