"""Invite to client portal / Re-send invitation / Revoke portal access (POST only), and the way
from a client's account page in billing to their contact's page.

Team members only (clients 403); contacts are fetched through ``access.contact_for``, so
another practice's contact, or another practitioner's, answers 404. Each button goes back to
the page it came from (``next``, same site only) with a message.
"""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.errors import DomainError
from sessions_app import access, invitations


def _back(request, default):
    """To the page the button was on (``next``, this site only), else ``default``."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = default
    return redirect(target)


def _contact_page(contact):
    return reverse("sessions_app:contact_edit", args=[contact.pk])


def _invite(request, contact):
    try:
        membership = invitations.invite_to_portal(practice=request.practice, actor=request.user, contact=contact)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation to the client portal sent to {membership.user.email}. "
                                  f"The link works once, for {invitations.VALID_HOURS} hours.")
    return _back(request, _contact_page(contact))


def _revoke(request, contact):
    try:
        invitations.revoke_portal_access(practice=request.practice, actor=request.user, contact=contact)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Portal access revoked: {contact.name} can no longer log in to the client portal, "
                                  "and links already sent no longer work.")
    return _back(request, _contact_page(contact))


@practice_access.team_required
@require_POST
def invite(request, pk):
    return _invite(request, access.contact_for(request.membership, pk))


@practice_access.team_required
@require_POST
def revoke(request, pk):
    return _revoke(request, access.contact_for(request.membership, pk))


@practice_access.team_required
def client(request, pk):
    """From a client's account page: to the page of a contact of theirs (where the portal state and the
    buttons are). A user who is not a client of the practice answers 404."""
    contact = invitations.contact_of_client(request.membership, pk)
    if contact is None:
        messages.error(request, "None of your contacts is linked to this client account, so there is no page to "
                                "manage their client portal access from.")
        return redirect("sessions_app:contacts")
    return redirect(_contact_page(contact))
