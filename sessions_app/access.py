"""Access functions: the only way views fetch sessions_app rows."""
from django.shortcuts import get_object_or_404

from practice.models import TEAM_ROLES, Role
from sessions_app.models import Contact, Session


def contacts_visible_to(request):
    """Practitioners see their own contacts; admins and staff see the practice's; clients none."""
    queryset = Contact.objects.filter(practice=request.practice)
    role = request.membership.role
    if role == Role.PRACTITIONER:
        queryset = queryset.filter(owner=request.user)
    elif role not in TEAM_ROLES:
        queryset = queryset.none()
    return queryset


def contact_for(request, pk):
    return get_object_or_404(contacts_visible_to(request), pk=pk)


def sessions_visible_to(request):
    """The sessions a member may open: office roles all, practitioners their own, clients theirs."""
    queryset = Session.objects.filter(practice=request.practice)
    role = request.membership.role
    if role == Role.PRACTITIONER:
        queryset = queryset.filter(practitioner=request.user)
    elif role == Role.CLIENT:
        queryset = queryset.filter(participants__client=request.user).distinct()
    return queryset


def session_for(request, pk):
    return get_object_or_404(sessions_visible_to(request), pk=pk)
