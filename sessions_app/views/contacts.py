from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.models import TEAM_ROLES
from sessions_app import access
from sessions_app.forms import ContactForm


@practice_access.team_required
def contact_list(request):
    query = request.GET.get("q", "")
    contacts = access.contacts_visible_to(request.membership).search(query).select_related("owner")
    page = Paginator(contacts, 25).get_page(request.GET.get("page"))
    return render(request, "sessions_app/contact_list.html", {"page": page, "query": query})


@practice_access.member_required
def contact_edit(request, pk=None):
    if pk:
        contact = access.contact_for(request.membership, pk)
    else:
        practice_access.require(request.membership, TEAM_ROLES)
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
    contact = access.contact_for(request.membership, pk)
    name = contact.name
    contact.delete()
    messages.success(request, f"Contact “{name}” deleted.")
    return redirect("sessions_app:contacts")


@practice_access.team_required
def contact_search(request):
    """htmx: the host's contacts and the practice's clients whose first or last name starts with the text."""
    text = request.GET.get("q") or next((v for k, v in request.GET.items() if k.endswith("-name")), "")
    text = " ".join(text.split())[:60]
    matches = []
    if len(text) >= 1:
        words = Q()
        for word in text.split():
            words &= Q(name__istartswith=word) | Q(name__icontains=f" {word}")
        matches = list(access.contacts_visible_to(request.membership).filter(words).order_by("name")[:8])
    return render(request, "sessions_app/partials/contact_suggestions.html", {"matches": matches})
