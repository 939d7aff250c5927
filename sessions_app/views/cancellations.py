"""The cancellation tool (SESSIONS > CANCELLATIONS): the page, its live list of affected
sessions (an htmx partial) and applying it. The rules live in ``sessions_app.cancellation``."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from practice import access as practice_access
from practice.errors import DomainError
from sessions_app import cancellation
from sessions_app.cancellation_forms import FILTER_FIELDS, CancellationForm
from sessions_app.closures import mark_closures
from sessions_app.models import InviteMethod

# The live list shows at most this many rows (the count covers them all).
PREVIEW_LIMIT = 200


def _form(request, data=None):
    return CancellationForm(data, practice=request.practice, membership=request.membership)


def _affected(request, form) -> dict:
    """The live list's context: the affected sessions for a form's dates and filters."""
    context = {"form": form, "practice_zone": request.practice.time_zone, "notify": form.notifies, "ready": False,
               "limit": PREVIEW_LIMIT}
    if not form.is_bound or not form.data.get("first_day"):
        return context
    if not form.filters_valid:
        context["filter_errors"] = [error for name in FILTER_FIELDS for error in form.errors.get(name, [])]
        return context
    filters = form.filters()
    sessions = cancellation.affected_sessions(practice=request.practice, membership=request.membership, **filters)
    rows = list(sessions[:PREVIEW_LIMIT])
    total = len(rows) if len(rows) < PREVIEW_LIMIT else sessions.count()
    context.update(ready=True, sessions=mark_closures(rows, request.practice), total=total,
                   recipients=sum(1 for s in rows for p in s.participants.all() if p.invite_method != InviteMethod.NONE),
                   **filters)
    return context


@practice_access.team_required
@require_http_methods(["GET", "POST"])
def cancellations(request):
    """GET: the form and the live list. POST: cancel and/or notify, then back here with a summary."""
    if request.method == "POST":
        form = _form(request, request.POST)
        if form.is_valid():
            try:
                result = cancellation.apply(practice=request.practice, actor=request.user, membership=request.membership,
                                            **form.apply_arguments())
            except DomainError as error:
                form.add_error(None, error)
            else:
                messages.success(request, cancellation.summary(result))
                return redirect("sessions_app:cancellations")
    else:
        form = _form(request)
    return render(request, "sessions_app/cancellations.html", {"form": form, **_affected(request, form)})


@practice_access.team_required
@require_GET
def cancellations_preview(request):
    """The live list (htmx partial) for the form's current values."""
    form = _form(request, request.GET)
    return render(request, "sessions_app/partials/cancellations_affected.html", _affected(request, form))
