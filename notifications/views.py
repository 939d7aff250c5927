"""Twilio status callbacks: signature-checked, recorded once, state only moves forward."""
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications.models import STATE_RANK, Notification, State, StatusEvent

# Twilio's MessageStatus values and the outbox state each one means.
TWILIO_STATES = {
    "queued": State.SENT, "accepted": State.SENT, "sending": State.SENT, "sent": State.SENT,
    "delivered": State.DELIVERED, "undelivered": State.FAILED, "failed": State.FAILED,
}


def signature_is_valid(request) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.SITE_URL + request.get_full_path()
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST.dict(), signature)


def record_status(*, provider_id: str, status: str, error_code: str = "") -> bool:
    """Record a delivery status once; move the message forward only. Returns whether anything changed."""
    target = TWILIO_STATES.get(status)
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(provider_id=provider_id).first()
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


@csrf_exempt
@require_POST
def twilio_status(request):
    if not signature_is_valid(request):
        return HttpResponseForbidden("Invalid signature.")
    record_status(
        provider_id=request.POST.get("MessageSid", ""), status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
