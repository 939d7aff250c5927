from django.conf import settings
from django.db import models
from django.db.models import Q

from practice.models import Practice


class NotificationKind(models.TextChoices):
    INVITE = "invite", "Invitation"
    RESCHEDULE = "reschedule", "Session moved"
    CANCEL = "cancel", "Session canceled"
    REMINDER = "reminder", "Reminder"
    NOTICE = "notice", "Notice"
    PAYMENT_RECEIVED = "payment_received", "Payment received"
    PASSWORD_RESET = "password_reset", "Password reset"
    PORTAL_INVITE = "portal_invite", "Client portal invitation"
    BOOKING_REQUEST = "booking_request", "Session request"
    BOOKING_DECLINED = "booking_declined", "Request declined"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"


class State(models.TextChoices):
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"  # claimed by a worker; left so by a dead one, claimed again after a lease
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Withdrawn"


# The order a message's state may move in; a status callback never moves it back.
STATE_RANK = {State.PENDING: 0, State.SENDING: 0, State.SENT: 1, State.DELIVERED: 2, State.FAILED: 2, State.CANCELED: 3}


class Notification(models.Model):
    """One message in the outbox (DESIGN.md invariant 5).

    Written in the same transaction as the change that causes it, delivered by
    Celery. The session and participant are references only: this app never
    imports the apps that write messages. ``dedupe_key`` makes writing it twice impossible.
    Delivery claims a row (PENDING -> SENDING, with ``claimed_at`` and one more attempt,
    committed), sends it outside any transaction, then records SENT with the provider's
    id; a message marked sent is never sent again, and a row left SENDING by a dead
    worker is claimed again once its lease ran out (``notifications.delivery.LEASE``).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="notifications")
    session = models.ForeignKey("sessions_app.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    participant = models.ForeignKey("sessions_app.Participant", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="notifications")
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    ics = models.TextField(blank=True, help_text="The calendar attachment (an e-mail invitation), as written.")
    # The session start the message speaks of; a message about an old time is withdrawn, not sent.
    about_start = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last claimed it for sending.")
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The drain's order (due_at, id), so finding the next due messages reads the index's first
            # entries instead of sorting every pending row that is due.
            models.Index(fields=["due_at", "id"], condition=Q(state="pending"), name="notification_pending_due_id"),
            models.Index(fields=["claimed_at"], condition=Q(state="sending"), name="notification_sending_claimed"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display()} to {self.to_address} ({self.get_state_display()})"


class StatusEvent(models.Model):
    """A delivery status reported by the provider (Twilio callback), recorded once."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "status"], name="one_event_per_status")]
