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

from practice import selectors
from practice.models import OFFICE_ROLES, TEAM_ROLES, DayOff, Role, Room, Service, WeeklyHours


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


# --- Availability: a practitioner's weekly hours and days off ------------------------------------

def may_edit_availability(membership, practitioner_id):
    """Refuse (403) a member who may not edit this practitioner's availability: clients never;
    a practitioner only their own; admins and staff anyone's in their practice."""
    require(membership, TEAM_ROLES)
    if membership.role not in OFFICE_ROLES and practitioner_id != membership.user_id:
        raise PermissionDenied


def practitioner_for(membership, pk):
    """A practitioner (or hosting admin) of the member's practice whose availability the member
    may edit; anyone else's id, another practice's included, answers 404."""
    if membership is None:
        raise PermissionDenied
    practitioner = get_object_or_404(selectors.practitioners(membership.practice), pk=pk)
    may_edit_availability(membership, practitioner.pk)
    return practitioner


def weekly_hours_of(membership, practitioner):
    return WeeklyHours.objects.filter(practice=membership.practice, practitioner=practitioner)


def days_off_of(membership, practitioner=None):
    days_off = DayOff.objects.filter(practice=membership.practice)
    return days_off if practitioner is None else days_off.filter(practitioner=practitioner)


def day_off_for(membership, pk):
    day_off = get_object_or_404(days_off_of(membership), pk=pk)
    may_edit_availability(membership, day_off.practitioner_id)
    return day_off
