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
            # The client list's accounts of lines linked to neither a client nor a contact (billing.statements).
            models.Index(fields=["practice", "client_name"], condition=Q(client__isnull=True, contact__isnull=True),
                         name="ledger_unlinked_names"),
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
    # The Stripe Checkout Session last opened for it (billing.checkout reuses it while it is open).
    checkout_session_id = models.CharField(max_length=100, blank=True, default="")
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
    """A successful Stripe payment for a participant, or for a client's package (recorded from
    Stripe's event, not the browser)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="payments")
    participant = models.ForeignKey("sessions_app.Participant", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="payments")
    client_package = models.ForeignKey("ClientPackage", null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    payment_intent = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=Q(participant__isnull=False, client_package__isnull=True) | Q(participant__isnull=True, client_package__isnull=False),
            name="payment_for_participant_or_package")]

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.payment_intent})"


class Refund(models.Model):
    """A refund as Stripe reported it; recorded once by its id."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)


class PackageProduct(models.Model):
    """A package the practice sells: a number of sessions of some services, valid for some days."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="package_products")
    name = models.CharField(max_length=120)
    services = models.ManyToManyField("practice.Service", related_name="+", help_text="The services a credit can be used for.")
    session_count = models.PositiveSmallIntegerField("Sessions")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    validity_days = models.PositiveIntegerField("Valid for (days)", help_text="Counted from the day it is assigned.")
    weekly_limit = models.PositiveSmallIntegerField("Limit per week", null=True, blank=True,
                                                    help_text="At most this many sessions a week (Monday to Sunday); empty for no limit.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="package_product_name_unique_in_practice"),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_product_price_not_negative"),
            models.CheckConstraint(condition=Q(session_count__gt=0), name="package_product_has_sessions"),
            models.CheckConstraint(condition=Q(validity_days__gt=0), name="package_product_valid_some_days"),
        ]

    def __str__(self):
        return self.name


class PackageState(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    ACTIVE = "active", "Active"
    CANCELED = "canceled", "Canceled"


class ClientPackage(models.Model):
    """A package assigned or sold to one client: a copy of the product's terms as they were.

    What is left is the session count minus the live redemptions (``PackageRedemption``), never
    a stored counter; a booking locks this row to take the last credit once only.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT, related_name="client_packages")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="packages")
    name = models.CharField(max_length=120)
    services = models.ManyToManyField("practice.Service", related_name="+")
    session_count = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    weekly_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=PackageState.choices, default=PackageState.ACTIVE)
    paid_outside = models.BooleanField(default=False, help_text="Paid outside the app (cash, cheque, another terminal).")
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    checkout_session_id = models.CharField(max_length=100, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["practice", "client", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("starts_at")), name="client_package_expires_after_start"),
            models.CheckConstraint(condition=Q(session_count__gt=0), name="client_package_has_sessions"),
            models.CheckConstraint(condition=Q(price__gte=0), name="client_package_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} for {self.client}"


class PackageRedemption(models.Model):
    """One session booked on a package. A cancel outside the policy window voids it (the credit
    comes back); a late cancel leaves it (the credit is used)."""

    client_package = models.ForeignKey(ClientPackage, on_delete=models.PROTECT, related_name="redemptions")
    session = models.ForeignKey("sessions_app.Session", on_delete=models.PROTECT, related_name="package_redemptions")
    participant = models.ForeignKey("sessions_app.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session"], condition=Q(voided_at__isnull=True),
                                               name="one_live_redemption_per_session")]

    def __str__(self):
        return f"{self.client_package} · session {self.session_id}"


class BookingCheckoutState(models.TextChoices):
    OPEN = "open", "Open"
    AUTHORISED = "authorised", "Authorised"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    CANCELED = "canceled", "Authorisation canceled"
    REFUNDED = "refunded", "Refunded"


class BookingCheckout(models.Model):
    """The Stripe Checkout Session of a portal booking that is paid (or authorised) when booked.

    One per session. Its state follows Stripe's answers and events: open until Checkout completes
    (authorised when the practitioner confirms requests and the payment is only captured then,
    else paid), expired when the hold ended first, canceled or refunded when the booking was
    declined, canceled or its hold was gone. ``release_reason`` is set while a release is owed
    and Stripe could not be reached; the beat task tries again.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    session = models.OneToOneField("sessions_app.Session", on_delete=models.CASCADE, related_name="booking_checkout")
    participant = models.ForeignKey("sessions_app.Participant", on_delete=models.CASCADE, related_name="+")
    checkout_session_id = models.CharField(max_length=100, unique=True)
    url = models.TextField(blank=True, help_text="Stripe's page, while the Checkout Session is open.")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    capture_manual = models.BooleanField(default=False, help_text="Authorised only; captured when the practitioner confirms.")
    payment_intent = models.CharField(max_length=100, blank=True, db_index=True)
    state = models.CharField(max_length=12, choices=BookingCheckoutState.choices, default=BookingCheckoutState.OPEN)
    authorised_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=120, blank=True, help_text="Set while a release is owed and not done yet.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "authorised_at"], name="booking_checkout_state")]

    def __str__(self):
        return f"{self.checkout_session_id} ({self.get_state_display()})"
