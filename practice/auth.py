"""Who may log in: Django's ModelBackend, and a person whose memberships were all ended may not.

A client whose portal access was revoked, or a team member who left, has memberships and
none of them active: ``authenticate`` refuses them exactly as it refuses a wrong password (the
login form then shows its one "do not match" answer, and the try stays counted by the
throttle). Users with no membership at all are let in as before, to be told they are not part
of a practice; ``is_staff`` and superusers may always log in (Django admin).

Only the log-in asks the database about memberships. Restoring the user of a signed-in
session (``get_user``, on every request) checks ``is_active`` alone, as Django does:
``practice.middleware.PracticeMiddleware`` already reads the active memberships on each request,
and a member with none reaches no practice page.
"""
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from practice.models import Membership


def has_ended_memberships_only(user) -> bool:
    """True when the user has memberships and none of them is active."""
    states = list(Membership.objects.filter(user=user).values_list("is_active", flat=True))
    return bool(states) and not any(states)


class MemberBackend(ModelBackend):
    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        if user.is_staff or user.is_superuser:
            return True
        return not has_ended_memberships_only(user)

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # The parent calls user_can_authenticate (which queries here) inside the event loop.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if ModelBackend.user_can_authenticate(self, user) else None

    async def aget_user(self, user_id):
        user_model = get_user_model()
        try:
            user = await user_model._default_manager.aget(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if ModelBackend.user_can_authenticate(self, user) else None
