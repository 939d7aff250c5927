"""The practitioner's answer to a portal request: Confirm or Decline (dashboard, session page, calendar)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice.errors import DomainError
from sessions_app import access, booking


def _back(request, session):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("sessions_app:session_detail", pk=session.pk)


@require_POST
@practice_access.team_required
def request_confirm(request, pk):
    session = access.session_for(request.membership, pk)
    try:
        booking.confirm_request(practice=request.practice, actor=request.user, session=session)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Request confirmed: the client is sent the confirmation e-mail.")
    return _back(request, session)


@require_POST
@practice_access.team_required
def request_decline(request, pk):
    session = access.session_for(request.membership, pk)
    try:
        booking.decline_request(practice=request.practice, actor=request.user, session=session,
                                message=request.POST.get("message", "")[:1000])
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Request declined: the time is free again and the client is told.")
    return _back(request, session)
