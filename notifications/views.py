"""Twilio status callbacks: signature-checked, recorded once, state only moves forward."""
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications import channels
from notifications.models import STATE_RANK, Notification, State, StatusEvent
from practice.models import Practice

# Twilio's MessageStatus values and the outbox state each one means.
TWILIO_STATES = {
    "queued": State.SENT, "accepted": State.SENT, "sending": State.SENT, "sent": State.SENT,
    "delivered": State.DELIVERED, "undelivered": State.FAILED, "failed": State.FAILED,
}


def signature_is_valid(request, auth_token: str) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not auth_token:
        return False
    url = settings.SITE_URL + request.get_full_path()
    return RequestValidator(auth_token).validate(url, request.POST.dict(), signature)


def record_status(*, provider_id: str, status: str, error_code: str = "", practice=None) -> bool:
    """Record a delivery status once; move the message forward only. Returns whether anything changed.
    With ``practice`` (a callback at that practice's URL) only that practice's messages are touched."""
    target = TWILIO_STATES.get(status)
    with transaction.atomic():
        rows = Notification.objects.select_for_update().filter(provider_id=provider_id)
        if practice is not None:
            rows = rows.filter(practice=practice)
        notification = rows.first()
        if notification is None or target is None:
            return False
        try:
            with transaction.atomic():
                StatusEvent.objects.create(notification=notification, status=status, error_code=error_code[:20])
        except IntegrityError:
            return False  # this status was recorded before
        if STATE_RANK[target] <= STATE_RANK[notification.state] or notification.state == State.CANCELED:
            return False
        notification.state = target
        if target == State.DELIVERED:
            notification.delivered_at = timezone.now()
        if target == State.FAILED:
            notification.last_error = f"Twilio reported {status}" + (f" (error {error_code})" if error_code else "")
        notification.save(update_fields=["state", "delivered_at", "last_error", "updated_at"])
        return True


def _record_from(request, practice=None):
    record_status(
        provider_id=request.POST.get("MessageSid", ""), status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""), practice=practice,
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_status(request):
    """The environment's account (TWILIO_AUTH_TOKEN): texts sent before callbacks named the practice."""
    if not signature_is_valid(request, settings.TWILIO_AUTH_TOKEN):
        return HttpResponseForbidden("Invalid signature.")
    return _record_from(request)


@csrf_exempt
@require_POST
def twilio_status_practice(request, slug):
    """A practice's callbacks, signed with the token its texts go out with (its own, or the environment's)."""
    practice = Practice.objects.filter(slug=slug).first()
    credentials = channels.twilio_credentials(practice) if practice is not None else None
    if credentials is None or not signature_is_valid(request, credentials.auth_token):
        return HttpResponseForbidden("Invalid signature.")
    return _record_from(request, practice)
