from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.models import TEAM_ROLES
from sessions_app import access
from sessions_app.forms import ContactForm
from sessions_app.models import Participant, SessionStatus


@practice_access.team_required
def dashboard(request):
    """Upcoming sessions: a practitioner's own; admins and staff see the practice's."""
    sessions = access.sessions_visible_to(request).filter(end__gte=timezone.now()).exclude(status=SessionStatus.CANCELED)
    if not request.membership.is_office:
        sessions = sessions.filter(practitioner=request.user)
    sessions = sessions.select_related("room", "practitioner").prefetch_related("participants")[:20]
    return render(request, "sessions_app/dashboard.html", {"sessions": sessions})


@practice_access.role_required("client")
def my_sessions(request):
    mine = Participant.objects.filter(client=request.user)
    sessions = (
        access.sessions_visible_to(request)
        .filter(end__gte=timezone.now())
        .exclude(status=SessionStatus.CANCELED)
        .select_related("practitioner", "room")
        .prefetch_related(Prefetch("participants", queryset=mine, to_attr="my_participation"))[:50]
    )
    return render(request, "sessions_app/my_sessions.html", {"sessions": sessions})


@practice_access.team_required
def contact_list(request):
    query = request.GET.get("q", "")
    contacts = access.contacts_visible_to(request).search(query).select_related("owner")
    page = Paginator(contacts, 25).get_page(request.GET.get("page"))
    return render(request, "sessions_app/contact_list.html", {"page": page, "query": query})


@practice_access.member_required
def contact_edit(request, pk=None):
    if pk:
        contact = access.contact_for(request, pk)
    else:
        practice_access.require(request, TEAM_ROLES)
        contact = None
    form = ContactForm(request.POST or None, instance=contact, practice=request.practice, owner=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact = form.save()
        messages.success(request, f"Contact “{contact.name}” saved.")
        return redirect("sessions_app:contacts")
    return render(request, "sessions_app/contact_form.html", {"form": form, "contact": contact})


@practice_access.member_required
@require_POST
def contact_delete(request, pk):
    contact = access.contact_for(request, pk)
    name = contact.name
    contact.delete()
    messages.success(request, f"Contact “{name}” deleted.")
    return redirect("sessions_app:contacts")
