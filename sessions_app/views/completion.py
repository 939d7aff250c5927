"""Saving sessions: the Save page, the calendar pop-up, bulk save from the lists.

Views stay thin: they fetch through ``access``, present ``completion.options`` and
call ``completion.save_session`` / ``completion.save_sessions``. Anything the domain
refuses becomes a form error or a message in plain words, and nothing is written.
"""
from decimal import Decimal

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from practice import access as practice_access
from practice import audit
from practice.errors import Conflict, DomainError
from practice.models import TEAM_ROLES
from sessions_app import access, completion
from sessions_app.closures import mark_closures
from sessions_app.completion_forms import BulkSaveForm, SaveSessionForm, bulk_choices, option_list, without_override
from sessions_app.models import SessionStatus

OVERLAP_ERROR = ("This session cannot be saved with that outcome: its time now overlaps another session of the same "
                 "practitioner or room. Save it as Canceled, or move one of the two sessions first.")
NOT_ALLOWED = "You may not save this session with that option."


def _next_url(request, default):
    """Where to go after saving: a local ``next`` (the list or calendar it came from), else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
        return candidate
    return default


def _plain(error: DomainError) -> str:
    """A refusal as one sentence for a form or a message; an overlap says what to do about it."""
    if isinstance(error, Conflict):
        return OVERLAP_ERROR
    return error.message or NOT_ALLOWED


def _load(session):
    prefetch_related_objects([session], "practitioner", "room", "participants", "session_services__service")
    return session


def _fee(session):
    return sum((line.price for line in session.session_services.all()), start=Decimal(0))


def _saved_message(form, session):
    """"Session saved as Late Cancel." or, for a group with different outcomes, who got what."""
    if session.completion_label != "Mixed":
        return f"Session saved as {session.completion_label}."
    labels = {o.value: (completion.OVERRIDE_LABEL if o.is_override else o.label) for o in form.options}
    parts = [f"{labels[form.cleaned_data[row.option]]} for {row.participant.name}" for row in form.rows]
    return f"Session saved: {', '.join(parts)}."


@practice_access.member_required
@require_http_methods(["GET", "POST"])
def session_save(request, pk):
    """The Save page: one outcome per client participant (a group gets one select each)."""
    session = _load(access.session_for(request.membership, pk))
    practice_access.require(request.membership, TEAM_ROLES)
    audit.record(request, audit.AccessKind.SESSION, session.pk, f"session {session.pk} (save page)")
    mark_closures([session], request.practice)
    clients = [p for p in session.participants.all() if p.is_client]
    options = option_list(request.practice, request.membership)
    data = request.POST if request.method == "POST" else None
    form = SaveSessionForm(data, practice=request.practice, session=session, clients=clients, options=options)
    detail = reverse("sessions_app:session_detail", args=[session.pk])
    if data is not None and clients and form.is_valid():
        try:
            saved = completion.save_session(practice=request.practice, actor=request.user, membership=request.membership,
                                            session=session, outcomes=form.outcomes())
        except DomainError as error:
            form.add_error(None, _plain(error))
        else:
            messages.success(request, _saved_message(form, saved))
            return redirect(_next_url(request, detail))
    return render(request, "sessions_app/session_save.html", {
        "session": session,
        "form": form,
        "clients": clients,
        "options": options,
        "fee": _fee(session),
        "is_saved": any(p.completion_label for p in clients),
        "next": _next_url(request, ""),
        "detail_url": detail,
    })


@practice_access.member_required
def session_popup(request, pk):
    """The calendar pop-up (loaded by htmx into a modal): the session at a glance and a small Save form."""
    session = _load(access.session_for(request.membership, pk))
    audit.record(request, audit.AccessKind.SESSION, session.pk, f"session {session.pk} (calendar pop-up)")
    mark_closures([session], request.practice)
    team = request.membership.role in TEAM_ROLES
    participants = list(session.participants.all())
    if not team:
        participants = [p for p in participants if p.client_id == request.user.pk]
    clients = [p for p in participants if p.is_client]
    options = without_override(option_list(request.practice, request.membership)) if team and clients else []
    current = ""
    if len(clients) == 1 and clients[0].completion_type_id:
        current = str(clients[0].completion_type_id)
    day = timezone.localtime(session.start).date().isoformat()
    return render(request, "sessions_app/partials/session_popup.html", {
        "session": session,
        "team": team,
        "participants": participants,
        "clients": clients,
        "options": options,
        "current": current,
        "can_override": team and completion.may_override(request.membership),
        "can_edit": team and session.status == SessionStatus.SCHEDULED,
        "services": list(session.session_services.all()) if team else [],
        "next": f"{reverse('sessions_app:calendar')}?date={day}",
    })


@practice_access.team_required
@require_POST
def bulk_save(request):
    """Save every checked session of a list with one option; all or nothing."""
    back = _next_url(request, reverse("sessions_app:session_list"))
    form = BulkSaveForm(request.POST, choices=bulk_choices(request.practice, request.membership))
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors) + " Nothing was saved.")
        return redirect(back)
    ids = set(form.cleaned_data["session"])
    sessions = list(access.sessions_visible_to(request.membership).filter(pk__in=ids).order_by("start", "pk"))
    if len(sessions) != len(ids):
        missing = len(ids) - len(sessions)
        messages.error(request, f"{missing} of the checked sessions could not be found (deleted, or not yours to save). "
                                "Nothing was saved; reload the list and try again.")
        return redirect(back)
    try:
        outcome = completion.outcome_from_choice(request.practice, form.cleaned_data["option"])
        saved = completion.save_sessions(practice=request.practice, actor=request.user, membership=request.membership,
                                         sessions=sessions, outcome=outcome)
    except DomainError as error:
        messages.error(request, f"{_plain(error)} Nothing was saved.")
        return redirect(back)
    label = form.label()
    note = ""
    if saved < len(sessions):
        skipped = len(sessions) - saved
        note = (f" {skipped} sessions have no client to save and were left as they were." if skipped != 1
                else " 1 session has no client to save and was left as it was.")
    messages.success(request, f"Saved {saved} session{'s' if saved != 1 else ''} as {label}.{note}")
    return redirect(back)
