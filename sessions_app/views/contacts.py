from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.models import TEAM_ROLES
from sessions_app import access, invitations
from sessions_app.forms import ContactForm


@practice_access.team_required
def contact_list(request):
    query = request.GET.get("q", "")
    archived = request.GET.get("archived") == "1"
    contacts = access.contacts_visible_to(request.membership)
    contacts = contacts.filter(is_archived=True) if archived else contacts.current()
    contacts = contacts.search(query).select_related("owner")
    page = Paginator(contacts, 25).get_page(request.GET.get("page"))
    return render(request, "sessions_app/contact_list.html", {"page": page, "query": query, "archived": archived})


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
    return render(request, "sessions_app/contact_form.html", {"form": form, "contact": contact, "portal": _portal(request, contact)})


def _portal(request, contact):
    """The contact's client portal state, for the team (None on a new contact's page)."""
    if contact is None or not request.membership.is_team:
        return None
    return invitations.portal_state(practice=request.practice, contact=contact)


@practice_access.member_required
@require_POST
def contact_delete(request, pk):
    """Deletes a contact; ``action=archive`` archives it instead, ``action=restore`` brings it back.

    A contact named on ledger lines (charges, payments) cannot be deleted: the account's
    history needs it. The form page says so and offers to archive it instead.
    """
    contact = access.contact_for(request.membership, pk)
    name = contact.name
    action = request.POST.get("action", "delete")
    if action in ("archive", "restore"):
        contact.is_archived = action == "archive"
        contact.save(update_fields=["is_archived", "updated_at"])
        done = "archived: it no longer shows in your contacts or the search" if contact.is_archived else "restored"
        messages.success(request, f"Contact “{name}” {done}.")
        return redirect("sessions_app:contacts")
    try:
        with transaction.atomic():
            contact.delete()
    except ProtectedError:
        form = ContactForm(instance=contact, practice=request.practice, owner=request.user)
        return render(request, "sessions_app/contact_form.html", {
            "form": form, "contact": contact, "portal": _portal(request, contact),
            "protected": f"“{name}” cannot be deleted: the practice's accounts have charges or payments for this "
                         "contact, and they must stay. Archive the contact instead: it leaves your contacts "
                         "and the search, and the account keeps its history.",
        }, status=409)
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
        matches = list(access.contacts_visible_to(request.membership).current().filter(words).order_by("name")[:8])
    return render(request, "sessions_app/partials/contact_suggestions.html", {"matches": matches})
