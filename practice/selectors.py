"""Queries about a practice's people, written once."""
from practice.models import HOSTING_ROLES, User


def practitioners(practice, *, include_former=False):
    """The people who host sessions in ``practice`` (practitioners and admins), by name.

    Scheduling offers active members only; ``include_former`` adds those whose
    membership was deactivated, for filters and reports over past sessions.
    A user has at most one membership per practice, so no ``distinct()`` is needed.
    """
    # One filter() call, so all three conditions hold for the same membership row.
    active = {} if include_former else {"memberships__is_active": True}
    return User.objects.filter(
        memberships__practice=practice, memberships__role__in=HOSTING_ROLES, **active,
    ).order_by("first_name", "last_name", "email")
