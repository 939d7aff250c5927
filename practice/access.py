"""Role checks and the access functions through which views fetch rows.

A view never calls ``Model.objects.get``: it calls ``service_for(membership, pk)``
and the like, which scope to the member's practice (another practice's row
answers 404) and check the role. They take the ``Membership`` rather than the
request, so Celery tasks, commands and the portal use the same functions.
"""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from practice.models import OFFICE_ROLES, TEAM_ROLES, Role, Room, Service


def role_required(*roles):
    """Let through logged-in members of a practice whose role is one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None or membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required(Role.ADMIN)
office_required = role_required(*OFFICE_ROLES)
team_required = role_required(*TEAM_ROLES)
member_required = role_required(*Role.values)


def require(membership, roles):
    """Refuse (403) a member whose role is not in ``roles``; call after scoping, so
    another practice's rows answer 404 whatever the role."""
    if membership is None or membership.role not in roles:
        raise PermissionDenied


def services_of(membership):
    return Service.objects.filter(practice=membership.practice)


def rooms_of(membership):
    return Room.objects.filter(practice=membership.practice)


def service_for(membership, pk, roles=(Role.ADMIN,)):
    service = get_object_or_404(services_of(membership), pk=pk)
    require(membership, roles)
    return service


def room_for(membership, pk, roles=(Role.ADMIN,)):
    room = get_object_or_404(rooms_of(membership), pk=pk)
    require(membership, roles)
    return room
