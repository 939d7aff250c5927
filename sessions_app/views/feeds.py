"""The practitioner's private iCalendar feed, and the page that hands out its link."""
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from practice import access as practice_access
from sessions_app import ical

feed_roles_required = practice_access.role_required(*ical.FEED_ROLES)


SHOWN_TOKEN = "feed_token_to_show"


def _links(request, token):
    feed_url = request.build_absolute_uri(reverse("sessions_app:calendar_feed", args=[token]))
    return {"feed_url": feed_url, "webcal_url": "webcal://" + feed_url.split("://", 1)[1]}


@feed_roles_required
@require_safe
def feed_settings(request):
    """The feed link is shown once: on the first visit (when it is made) or right after a new one is
    made (handed over in the session for this one page view). Only its hash is stored, so later
    visits offer to make a new link instead."""
    token = request.session.pop(SHOWN_TOKEN, None) or ical.ensure_feed_token(request.membership)
    context = _links(request, token) if token else {"feed_url": None}
    return render(request, "sessions_app/feed_settings.html", context)


@feed_roles_required
@require_POST
def feed_reset(request):
    request.session[SHOWN_TOKEN] = ical.reset_feed_token(request.membership)
    messages.success(
        request, "Your calendar feed has a new link. The old link no longer works: subscribe again with the new one."
    )
    return redirect("sessions_app:feed_settings")


@require_safe
def calendar_feed(request, token):
    """Fetched without a login by calendar apps; the token in the URL is the only key."""
    membership = ical.membership_for_feed_token(token)
    if membership is None:
        raise Http404("No such calendar feed.")
    body = ical.render_feed(membership.practice, ical.feed_sessions(membership), request.get_host())
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    filename = f"{membership.practice.slug}-sessions.ics"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
