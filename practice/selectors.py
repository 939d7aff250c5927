"""Queries about a practice's people, written once."""
from practice.models import HOSTING_ROLES, User


def practitioners(practice):
    """The people who host sessions in ``practice``: active practitioners and admins, by name.

    One filter() call, so all three conditions hold for the same membership row;
    a user has at most one membership per practice, so no ``distinct()`` is needed.
    """
    return User.objects.filter(
        memberships__practice=practice, memberships__role__in=HOSTING_ROLES, memberships__is_active=True,
    ).order_by("first_name", "last_name", "email")
