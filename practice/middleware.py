import zoneinfo

from django.utils import timezone

from practice.models import Membership


class PracticeMiddleware:
    """Sets ``request.membership`` and ``request.practice`` and shows times in the viewer's zone.

    A user may belong to several practices; the one chosen is kept in the
    session (``practice_id``), else the oldest active membership is used.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.practice = None
        user = request.user
        if user.is_authenticated:
            memberships = Membership.objects.active().select_related("practice").filter(user=user).order_by("created_at", "id")
            chosen = request.session.get("practice_id")
            membership = None
            if chosen:
                membership = next((m for m in memberships if m.practice_id == chosen), None)
            membership = membership or next(iter(memberships), None)
            if membership:
                request.membership = membership
                request.practice = membership.practice
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
