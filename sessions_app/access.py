"""Access functions: the only way views (and tasks, commands, the portal) fetch sessions_app rows.

Each takes the member's ``Membership`` (its practice, user and role), scopes to
that practice first (another practice's row answers 404 whatever the role),
then narrows by role.
"""
from django.shortcuts import get_object_or_404

from practice.access import require
from practice.models import OFFICE_ROLES, TEAM_ROLES, Role
from sessions_app.models import Closure, Contact, Session


def contacts_visible_to(membership):
    """Practitioners see their own contacts; admins and staff see the practice's; clients none."""
    queryset = Contact.objects.filter(practice=membership.practice)
    if membership.role == Role.PRACTITIONER:
        queryset = queryset.filter(owner=membership.user)
    elif membership.role not in TEAM_ROLES:
        queryset = queryset.none()
    return queryset


def contact_for(membership, pk):
    return get_object_or_404(contacts_visible_to(membership), pk=pk)


def sessions_visible_to(membership):
    """The sessions a member may open: office roles all, practitioners their own, clients theirs."""
    queryset = Session.objects.filter(practice=membership.practice)
    if membership.role == Role.PRACTITIONER:
        queryset = queryset.filter(practitioner=membership.user)
    elif membership.role == Role.CLIENT:
        queryset = queryset.filter(participants__client=membership.user).distinct()
    return queryset


def session_for(membership, pk):
    return get_object_or_404(sessions_visible_to(membership), pk=pk)


def closures_of(membership):
    """Closures are shown to every member of the practice (clients too)."""
    return Closure.objects.filter(practice=membership.practice)


def closure_for(membership, pk, roles=OFFICE_ROLES):
    """A closure of the member's practice; only ``roles`` may change it (403 for the others)."""
    closure = get_object_or_404(closures_of(membership), pk=pk)
    require(membership, roles)
    return closure
