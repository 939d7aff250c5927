"""Session list, open sessions and the session detail page."""
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone

from practice import access as practice_access
from practice import audit
from practice.models import Role
from sessions_app import access, listing
from sessions_app.closures import mark_closures
from sessions_app.completion_forms import bulk_choices
from sessions_app.models import SessionStatus


def _bulk_context(request):
    """The bulk Save bar above a list: its options (computed once per page) and the way back."""
    return {"bulk_options": bulk_choices(request.practice, request.membership), "bulk_next": request.get_full_path()}


@practice_access.team_required
def session_list(request):
    """Every session the member may see, filtered by a GET form; from today on by default."""
    form = listing.filter_form(request)
    sessions = listing.filtered_sessions(request, form) if form.is_valid() else access.sessions_visible_to(request.membership).none()
    page = listing.page_of(sessions, request.GET.get("page"))  # the last page read from the end: no long OFFSET
    page.object_list = mark_closures(page.object_list, request.practice)
    return render(request, "sessions_app/session_list.html", {"form": form, "page": page, **_bulk_context(request)})


@practice_access.team_required
def open_sessions(request):
    """Past sessions nobody has saved yet, oldest first."""
    page = Paginator(listing.open_sessions(request), listing.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = mark_closures(page.object_list, request.practice)
    return render(request, "sessions_app/open_sessions.html", {"page": page, "now": timezone.now(), **_bulk_context(request)})


@practice_access.member_required
def session_detail(request, pk):
    """One session. The team sees all of it; a client sees their own part and the public note."""
    session = access.session_for(request.membership, pk)
    prefetch_related_objects([session], "practitioner", "room", "series", "participants", "session_services__service",
                             "participants__payments", "participants__payment_request")
    mark_closures([session], request.practice)
    is_client = request.membership.role == Role.CLIENT
    lines = list(session.session_services.all())
    # The team's page shows the private note too; one INSERT for both (clients are not logged).
    audit.record_many(request, [(audit.AccessKind.SESSION, session.pk, f"session {session.pk}"),
                                (audit.AccessKind.NOTES, session.pk, f"notes of session {session.pk}")])
    context = {
        "session": session,
        "is_client": is_client,
        "is_scheduled": session.status == SessionStatus.SCHEDULED,
        # A saved outcome's wage: office roles and the session's own practitioner only.
        "show_wages": request.membership.is_office or session.practitioner_id == request.user.pk,
        "services": lines,
        "total": sum((line.price for line in lines), start=Decimal(0)),
        "participants": (
            [p for p in session.participants.all() if p.client_id == request.user.pk] if is_client
            else list(session.participants.all())
        ),
    }
    return render(request, "sessions_app/session_detail.html", context)
