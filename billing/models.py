from django.conf import settings
from django.db import models
from django.db.models import Q

from practice.models import Practice


class EntryKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    WAGE = "wage", "Wage"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class LedgerEntry(models.Model):
    """One line of the append-only ledger (DESIGN.md invariant 4).

    Amounts are signed on the account they belong to: on a client's account a
    charge is positive and a payment negative; on a practitioner's account a
    wage is positive. A correction is a new line with ``reverses`` set, never
    an edit (the database refuses UPDATE and DELETE on this table).
    A client account is a client user where the participant has one, else the contact.
    """

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    label = models.CharField(max_length=120, help_text="What the line is for, as it was when written.")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey("sessions_app.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client_name = models.CharField(max_length=120, blank=True)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey("sessions_app.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    participant = models.ForeignKey("sessions_app.Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    service_date = models.DateField(null=True, blank=True, help_text="The session's date in the practice's zone.")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["practice", "client", "service_date"]),
            models.Index(fields=["practice", "contact", "service_date"]),
            models.Index(fields=["practice", "practitioner", "kind", "service_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="wage") | Q(practitioner__isnull=False), name="wage_has_practitioner"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency}: {self.label}"


class PaymentState(models.TextChoices):
    REQUIRED = "required", "Payment required"
    PAID = "paid", "Paid in full"
    PARTLY_REFUNDED = "partly_refunded", "Partly refunded"
    REFUNDED = "refunded", "Refunded"


class PaymentRequest(models.Model):
    """"Click here to require Payment": what one participant must pay to attend, and where that stands.

    One row per participant who must pay; a participant without one owes nothing up front.
    The amounts paid and refunded are running totals of this participant's Stripe
    payments and refunds, each also a ledger line.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    participant = models.OneToOneField("sessions_app.Participant", on_delete=models.CASCADE, related_name="payment_request")
    service = models.ForeignKey("practice.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("Payment Required", max_digits=10, decimal_places=2)
    state = models.CharField(max_length=20, choices=PaymentState.choices, default=PaymentState.REQUIRED)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_amount_positive")]

    def __str__(self):
        return f"{self.amount} from {self.participant} ({self.get_state_display()})"

    @property
    def is_due(self) -> bool:
        return self.state == PaymentState.REQUIRED


class StripeEvent(models.Model):
    """A Stripe webhook event, stored once by its id and processed by Celery."""

    event_id = models.CharField(max_length=100, unique=True)
    practice = models.ForeignKey(Practice, null=True, on_delete=models.SET_NULL, related_name="stripe_events")
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class Payment(models.Model):
    """A successful Stripe payment for a participant (recorded from Stripe's event, not the browser)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="payments")
    participant = models.ForeignKey("sessions_app.Participant", on_delete=models.PROTECT, related_name="payments")
    payment_intent = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.payment_intent})"


class Refund(models.Model):
    """A refund as Stripe reported it; recorded once by its id."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
