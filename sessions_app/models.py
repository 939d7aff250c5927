import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, IntegerRangeField, RangeOperators
from django.core.validators import MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value

from practice.models import DeliveryMethod, Practice, Service, Room
from practice.phones import validate_e164
from practice.timezones import validate_time_zone


class InviteMethod(models.TextChoices):
    EMAIL = "email", "E-mail invitation"
    TEXT = "text", "Text Message Invitation"
    NONE = "none", "System should not send invite"


class ContactQuerySet(models.QuerySet):
    def search(self, text):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(email__icontains=text))


class Contact(models.Model):
    """A host's saved person; feeds participant auto-fill."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="contacts")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contacts")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="client_contacts",
        help_text="The client account this contact belongs to, if any.",
    )
    name = models.CharField(max_length=120, validators=[MinLengthValidator(2)])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_e164])
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    invite_method = models.CharField(max_length=10, choices=InviteMethod.choices, default=InviteMethod.EMAIL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["practice", "owner", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(invite_method=InviteMethod.EMAIL) | ~Q(email=""), name="contact_email_invite_has_email"
            ),
            models.CheckConstraint(
                condition=~Q(invite_method=InviteMethod.TEXT) | ~Q(phone=""), name="contact_text_invite_has_phone"
            ),
        ]

    def __str__(self):
        return self.name


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    CANCELED = "canceled", "Canceled"


class SessionKind(models.TextChoices):
    REGULAR = "regular", "Session"
    ORIENTATION = "orientation", "Orientation Session"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class IdRange(Func):
    """``int4range(id, id, '[]')``: lets a GiST exclusion compare ids without btree_gist."""

    function = "INT8RANGE"
    output_field = IntegerRangeField()

    def __init__(self, field):
        super().__init__(F(field), F(field), Value("[]"))


def new_access_code() -> str:
    return f"{secrets.randbelow(10**9):09d}"


class Session(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="sessions")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_sessions")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    # Copied from the room so the database can refuse overlapping in-person bookings.
    room_is_in_person = models.BooleanField(default=False, editable=False)
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default=SessionKind.REGULAR)
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone], help_text="The zone the session was scheduled in."
    )
    delivery_method = models.CharField(max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.IN_PERSON)
    public_note = models.TextField(blank=True, help_text="All participants see this note.")
    private_note = models.TextField(blank=True, help_text="Only the practice team sees this note.")
    access_code = models.CharField(max_length=9, default=new_access_code, editable=False)
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["practice", "start"]),
            models.Index(fields=["practitioner", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_ends_after_start"),
            ExclusionConstraint(
                name="no_double_booking_practitioner",
                expressions=[
                    (IdRange("practitioner"), RangeOperators.OVERLAPS),
                    (TsTzRange("start", "end", Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status=SessionStatus.CANCELED),
            ),
            ExclusionConstraint(
                name="no_double_booking_room",
                expressions=[
                    (IdRange("room"), RangeOperators.OVERLAPS),
                    (TsTzRange("start", "end", Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=Q(room_is_in_person=True) & ~Q(status=SessionStatus.CANCELED),
            ),
            models.UniqueConstraint(
                fields=["access_code"], condition=Q(status=SessionStatus.SCHEDULED), name="access_code_unique_live"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start:%Y-%m-%d %H:%M} UTC with {self.practitioner}"

    def save(self, *args, **kwargs):
        self.room_is_in_person = bool(self.room_id and self.room.is_in_person)
        super().save(*args, **kwargs)

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def client_participants(self):
        return [p for p in self.participants.all() if p.is_client]

    @property
    def is_group(self) -> bool:
        return len(self.client_participants) > 1

    @property
    def is_canceled(self) -> bool:
        return self.status == SessionStatus.CANCELED


class SessionService(models.Model):
    """A service performed in a session, with the price charged for it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="session_services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="session_service_price_not_negative")]

    def __str__(self):
        return f"{self.service} at {self.price}"


class Participant(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="participations")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="participations"
    )
    name = models.CharField("Participant Name or Initials", max_length=120, validators=[MinLengthValidator(2)])
    invite_method = models.CharField(
        "Session Invite and Reminders", max_length=10, choices=InviteMethod.choices, default=InviteMethod.EMAIL
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_e164])
    time_zone = models.CharField("Participant Time Zone", max_length=64, validators=[validate_time_zone])
    is_client = models.BooleanField(default=True, help_text="Clients count toward one-to-one or group.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(invite_method=InviteMethod.EMAIL) | ~Q(email=""), name="participant_email_invite_has_email"
            ),
            models.CheckConstraint(
                condition=~Q(invite_method=InviteMethod.TEXT) | ~Q(phone=""), name="participant_text_invite_has_phone"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def invite_not_used(self) -> bool:
        return self.invite_method == InviteMethod.NONE
