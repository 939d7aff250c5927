"""Role checks and the access functions through which views fetch rows.

A view never calls ``Model.objects.get``: it calls ``service_for(request, pk)``
and the like, which scope to the request's practice (another practice's row
answers 404) and check the role.
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


def require(request, roles):
    """Refuse (403) a member whose role is not in ``roles``; call after scoping, so
    another practice's rows answer 404 whatever the role."""
    if request.membership is None or request.membership.role not in roles:
        raise PermissionDenied


def service_for(request, pk, roles=(Role.ADMIN,)):
    service = get_object_or_404(Service, practice=request.practice, pk=pk)
    require(request, roles)
    return service


def room_for(request, pk, roles=(Role.ADMIN,)):
    room = get_object_or_404(Room, practice=request.practice, pk=pk)
    require(request, roles)
    return room
