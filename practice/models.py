from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from practice.crypto import EncryptedTextField
from practice.phones import validate_e164
from practice.timezones import validate_time_zone


class Practice(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$")])
    cancellation_notice_hours = models.PositiveIntegerField(
        default=24, help_text="Clients may cancel or reschedule up to this many hours before a session."
    )
    reminder_offsets_minutes = ArrayField(
        models.PositiveIntegerField(), default=list, blank=True,
        help_text="Minutes before a session at which reminders go out, e.g. 1440, 120.",
    )
    support_name = models.CharField(max_length=120, blank=True, help_text="Tech support, for orientation sessions.")
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=20, blank=True)
    # Stripe: either a Connect account under the platform keys (STRIPE_SECRET_KEY in the
    # environment), or the practice's own keys. Secrets are never shown back in full, and are
    # encrypted at rest with FIELD_ENCRYPTION_KEY (practice/crypto.py).
    stripe_account_id = models.CharField(max_length=40, blank=True)
    stripe_secret_key = EncryptedTextField(blank=True)
    stripe_publishable_key = models.CharField(max_length=200, blank=True)
    stripe_webhook_secret = EncryptedTextField(blank=True)
    # Twilio: the practice's own account for text messages (all three, or the TWILIO_* environment's).
    # The auth token is encrypted at rest and never shown back in full.
    twilio_account_sid = models.CharField(max_length=34, blank=True, validators=[
        RegexValidator(r"^AC[0-9a-fA-F]{32}$", "A Twilio Account SID is AC and 32 hex digits.")])
    twilio_auth_token = EncryptedTextField(blank=True)
    twilio_from_number = models.CharField(max_length=20, blank=True, validators=[validate_e164])
    # Client portal booking (sessions_app/availability.py reads these).
    booking_min_notice_hours = models.PositiveIntegerField(
        "Minimum notice (hours)", default=24, validators=[MaxValueValidator(24 * 90)],
        help_text="Clients cannot book a session that starts sooner than this.")
    booking_horizon_days = models.PositiveIntegerField(
        "Book up to (days ahead)", default=60, validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="How far ahead clients may book.")
    booking_buffer_before_minutes = models.PositiveIntegerField(
        "Buffer before a session (minutes)", default=0, validators=[MaxValueValidator(240)],
        help_text="Kept free before every session: no booking may end inside it.")
    booking_buffer_after_minutes = models.PositiveIntegerField(
        "Buffer after a session (minutes)", default=0, validators=[MaxValueValidator(240)],
        help_text="Kept free after every session: no booking may start inside it.")
    booking_slot_step_minutes = models.PositiveIntegerField(
        "Start times every", default=30, choices=[(m, f"{m} minutes") for m in (5, 10, 15, 20, 30, 60)],
        help_text="Offered start times, counted from the start of each range of weekly hours.")
    booking_requires_confirmation = models.BooleanField(
        "Practitioner confirms requests", default=True,
        help_text="Portal bookings are requests until the practitioner confirms them (the slot is held meanwhile).")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    @property
    def stripe_ready(self) -> bool:
        from django.conf import settings

        own_keys = bool(self.stripe_secret_key and self.stripe_webhook_secret)
        connected = bool(self.stripe_account_id and settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)
        return own_keys or connected


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Users need an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: host, staff, admin or client. E-mail is the login."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default=settings.DEFAULT_USER_TIME_ZONE, validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log into Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    PRACTITIONER = "practitioner", "Practitioner"
    CLIENT = "client", "Client"


# Roles that run the practice's calendar (everyone but clients).
TEAM_ROLES = (Role.ADMIN, Role.STAFF, Role.PRACTITIONER)
# Roles that see and manage every practitioner's sessions.
OFFICE_ROLES = (Role.ADMIN, Role.STAFF)
# Roles that host sessions (an admin may also see clients).
HOSTING_ROLES = (Role.PRACTITIONER, Role.ADMIN)


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    can_override_cost = models.BooleanField(default=False, help_text="May save sessions with a cost over-ride.")
    # A client's latest client portal invitation; a new one (or revoking) voids the links sent before.
    invited_at = models.DateTimeField(null=True, blank=True, editable=False)
    feed_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False,
                                       help_text="SHA-256 of the secret in the practitioner's private calendar feed "
                                                 "URL (the token itself is shown once, never stored).")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} at {self.practice}"

    @property
    def is_team(self):
        return self.role in TEAM_ROLES

    @property
    def is_office(self):
        return self.role in OFFICE_ROLES


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Secure video"
    PHONE = "phone", "Phone"


class WageKind(models.TextChoices):
    PERCENT = "percent", "Percentage of price"
    FIXED = "fixed", "Fixed amount"


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Service(models.Model):
    """An Account Service: a CPT code with its price, length and delivery methods."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="services")
    cpt_code = models.CharField(
        "CPT code", max_length=5,
        validators=[RegexValidator(r"^\d{4}[0-9A-Z]$", "A CPT code is five characters: four digits and a digit or capital "
                                                         "letter, like 90837 or 0362T.")],
    )
    name = models.CharField(max_length=120)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    duration_minutes = models.PositiveIntegerField("Length (min)", default=50, validators=[MinValueValidator(5)])
    in_person = models.BooleanField("In person", default=True)
    video = models.BooleanField("Secure video", default=True)
    phone = models.BooleanField("Phone", default=False)
    bookable_online = models.BooleanField(default=False, help_text="Clients may book it from the portal.")
    payment_at_booking = models.CharField(
        "Payment at booking", max_length=10, default="none",
        choices=[("none", "None"), ("full", "Full price"), ("deposit", "Deposit")],
        help_text="What a client pays through Stripe Checkout when booking online (not when booking from a package).")
    deposit_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(Decimal("0.01"))])
    practitioners = models.ManyToManyField(
        "User", blank=True, related_name="offered_services", verbose_name="Offered by",
        help_text="The practitioners clients may book this service with in the portal.")
    wage_kind = models.CharField(max_length=10, choices=WageKind.choices, default=WageKind.PERCENT)
    wage_amount = models.DecimalField(
        "Practitioner wage", max_digits=10, decimal_places=2, default=Decimal("60"),
        validators=[MinValueValidator(Decimal("0"))], help_text="Percent of the price, or a fixed amount.",
    )
    is_active = models.BooleanField(default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["cpt_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="service_name_unique_in_practice"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="service_length_positive"),
            models.CheckConstraint(
                condition=models.Q(in_person=True) | models.Q(video=True) | models.Q(phone=True),
                name="service_has_delivery_method",
            ),
            models.CheckConstraint(
                condition=~models.Q(payment_at_booking="deposit") | models.Q(deposit_amount__gt=0),
                name="service_deposit_has_amount",
            ),
        ]

    def __str__(self):
        return f"{self.cpt_code} {self.name}"

    @property
    def amount_at_booking(self) -> Decimal | None:
        """What a client pays when booking it online, or None."""
        if self.payment_at_booking == "full" and self.price > 0:
            return self.price
        if self.payment_at_booking == "deposit" and self.deposit_amount:
            return min(self.deposit_amount, self.price) if self.price > 0 else self.deposit_amount
        return None

    @property
    def delivery_methods(self):
        offered = {DeliveryMethod.IN_PERSON: self.in_person, DeliveryMethod.VIDEO: self.video, DeliveryMethod.PHONE: self.phone}
        return [method for method, on in offered.items() if on]


class RoomKind(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"


class Room(models.Model):
    """A place sessions happen: an office (in person) or a virtual room.

    Change a room through ``sessions_app.rooms.save_room``, which keeps the
    sessions' copy of its kind in step (the double-booking constraint reads it).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=RoomKind.choices, default=RoomKind.IN_PERSON)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["practice", "name"], name="room_name_unique_in_practice")]

    def __str__(self):
        return self.name

    @property
    def is_in_person(self):
        return self.kind == RoomKind.IN_PERSON


class PractitionerWage(models.Model):
    """A practitioner's own wage for one service, overriding the service's default wage."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wage_overrides")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="wage_overrides")
    wage_kind = models.CharField(max_length=10, choices=WageKind.choices, default=WageKind.PERCENT)
    wage_amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practitioner", "service"], name="one_wage_per_practitioner_service")]

    def __str__(self):
        return f"{self.practitioner} · {self.service}: {self.wage_amount} ({self.get_wage_kind_display()})"


class AccessKind(models.TextChoices):
    SESSION = "session", "Session"
    NOTES = "notes", "Session notes"
    CLIENT_ACCOUNT = "client_account", "Client account"
    INVOICE = "invoice", "Invoice"
    DOCUMENT = "document", "Document"
    FEED = "feed", "Calendar feed"


class AccessLogEntry(models.Model):
    """Append-only: which team member viewed which client data, when and from where.

    The database refuses UPDATE and DELETE (practice/migrations, trigger
    ``practice_access_log_append_only``); rows are written by ``practice.audit.record``.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    object_id = models.CharField(max_length=64)
    description = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["practice", "-created_at"], name="access_log_practice_time")]

    def __str__(self):
        return f"{self.user} viewed {self.description}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyHours(models.Model):
    """One range of a practitioner's published weekly hours: a weekday and two wall times in the
    practitioner's zone, optionally for a date range only. A day may have several ranges."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField("From")
    end_time = models.TimeField("To")
    valid_from = models.DateField("Starting", null=True, blank=True)
    valid_until = models.DateField("Until", null=True, blank=True)

    class Meta:
        verbose_name = "weekly hours"
        verbose_name_plural = "weekly hours"
        ordering = ["weekday", "start_time"]
        indexes = [models.Index(fields=["practitioner", "weekday"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")), name="weekly_hours_end_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weekly_hours_weekday"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True) | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="weekly_hours_dates_in_order"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def applies_on(self, day) -> bool:
        return (day.weekday() == self.weekday and (self.valid_from is None or day >= self.valid_from)
                and (self.valid_until is None or day <= self.valid_until))


class DayOff(models.Model):
    """Days (in the practitioner's zone) on which their weekly hours offer nothing."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="days_off")
    first_day = models.DateField()
    last_day = models.DateField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "day off"
        verbose_name_plural = "days off"
        ordering = ["first_day"]
        constraints = [models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="day_off_dates_in_order")]

    def __str__(self):
        return f"{self.first_day}–{self.last_day} {self.note}".strip()


class QuestionKind(models.TextChoices):
    """The kinds of question of a Booking Page Form and of a participant document's fields
    (``practice.questions`` turns each into a form field; a booking offers the first four)."""

    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    CHOICE = "choice", "Choice"
    YES_NO = "yes_no", "Yes / no"
    DATE = "date", "Date"
    MULTI_CHOICE = "multi_choice", "Several choices"
    STATEMENT = "statement", "Statement to read"
    SIGNATURE = "signature", "Signature"
    INITIALS = "initials", "Initials"


class BookingQuestion(models.Model):
    """A question of a service's Booking Page Form, answered by the client when booking online."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="booking_questions")
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=QuestionKind.choices, default=QuestionKind.SHORT_TEXT)
    choices = models.TextField(blank=True, help_text="For a choice: one option per line.")
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.label

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]
