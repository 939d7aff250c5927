import secrets
import uuid

import recurrence.fields
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, IntegerRangeField, RangeOperators
from django.core.validators import MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from practice.models import DeliveryMethod, Practice, Room, Service
from practice.phones import validate_e164
from practice.timezones import validate_time_zone


class InviteMethod(models.TextChoices):
    EMAIL = "email", "E-mail invitation"
    TEXT = "text", "Text Message Invitation"
    NONE = "none", "System should not send invite"


class ContactQuerySet(models.QuerySet):
    def current(self):
        """The contacts not archived: those the list and the search offer."""
        return self.filter(is_archived=False)

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
    is_archived = models.BooleanField(
        default=False, help_text="Kept for the account's ledger lines, but left out of the contact list and search.",
    )
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


class BookingState(models.TextChoices):
    """Where a portal booking stands; sessions the team schedules are confirmed from the start.

    A requested session is SCHEDULED, so it holds its slot like any session (the exclusion
    constraints read ``status``); a declined one is CANCELED.
    """

    CONFIRMED = "confirmed", "Confirmed"
    REQUESTED = "requested", "Requested"
    PAYMENT_PENDING = "payment_pending", "Payment pending"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Hold expired"


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


class ModifierType(models.TextChoices):
    PERCENT = "percent", "Percentage"
    FIXED = "fixed", "Fixed amount"


class CompletionType(models.Model):
    """An outcome a session can be saved with; drives the client charge and the practitioner wage.

    Every practice has the defaults completed, canceled and missed (they can be
    disabled, not deleted) and may add custom types in Django admin.
    """

    MAP_STATUSES = [
        (SessionStatus.COMPLETED, "Completed"), (SessionStatus.CANCELED, "Canceled"), (SessionStatus.MISSED, "Missed"),
    ]

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="completion_types")
    default_key = models.CharField(max_length=10, blank=True, editable=False,
                                   help_text="Set on the three defaults, which cannot be deleted.")
    map_status = models.CharField("Map session status", max_length=10, choices=MAP_STATUSES,
                                  help_text="The broad category this type belongs to.")
    label = models.CharField(max_length=15, help_text="Shown when a session is saved; 15 characters at most.")
    description = models.TextField(blank=True, help_text="When to choose this option.")
    modifier_type = models.CharField(max_length=10, choices=ModifierType.choices, default=ModifierType.PERCENT)
    client_modifier = models.PositiveIntegerField(help_text="Whole number: percent of the service fee, or a fixed amount.")
    practitioner_modifier = models.PositiveIntegerField(help_text="Whole number: percent of the wage, or a fixed amount.")
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "label"], name="completion_label_unique_in_practice"),
            models.UniqueConstraint(fields=["practice", "default_key"], condition=~Q(default_key=""),
                                    name="one_default_of_each_kind"),
            models.CheckConstraint(
                condition=~Q(modifier_type="percent") | (Q(client_modifier__lte=1000) & Q(practitioner_modifier__lte=1000)),
                name="completion_percent_in_range",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_default(self) -> bool:
        return bool(self.default_key)


class SeriesPreset(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every 2 weeks"
    MONTHLY = "monthly", "Every month on the same weekday"
    CUSTOM = "custom", "Custom recurrence"


class SessionSeries(models.Model):
    """A recurring schedule; its occurrences are materialised as Session rows.

    The rule (django-recurrence) holds the frequency, interval and weekdays; it
    is expanded on naive wall-clock times in ``time_zone`` (see series.py).
    It ends after ``count`` sessions, OR on ``until``, OR never.
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="series")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="series")
    preset = models.CharField(max_length=10, choices=SeriesPreset.choices, default=SeriesPreset.WEEKLY)
    rule = recurrence.fields.RecurrenceField()
    first_day = models.DateField()
    start_time = models.TimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    duration_minutes = models.PositiveIntegerField()
    count = models.PositiveIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    materialised_until = models.DateField(null=True, blank=True)
    skipped_days = ArrayField(models.DateField(), default=list, blank=True)
    # The template every occurrence is made from.
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery_method = models.CharField(max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.IN_PERSON)
    public_note = models.TextField(blank=True)
    private_note = models.TextField(blank=True)
    services = models.JSONField(default=list, blank=True)
    participants = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(until__isnull=True), name="series_count_or_until_not_both"
            ),
            models.CheckConstraint(condition=Q(count__isnull=True) | Q(count__gt=0), name="series_count_positive"),
        ]

    def __str__(self):
        return f"{self.get_preset_display()} from {self.first_day} at {self.start_time:%H:%M} ({self.time_zone})"

    @property
    def never_ends(self) -> bool:
        return self.count is None and self.until is None


class Closure(models.Model):
    """Days the practice is closed (a holiday, bad weather); shown on every calendar."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="closures")
    title = models.CharField(max_length=120)
    start_date = models.DateField()
    end_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        indexes = [models.Index(fields=["practice", "start_date", "end_date"])]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="closure_ends_after_start")]

    def __str__(self):
        if self.start_date == self.end_date:
            return f"{self.title} ({self.start_date:%b %d, %Y})"
        return f"{self.title} ({self.start_date:%b %d} – {self.end_date:%b %d, %Y})"


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
    booking_state = models.CharField(max_length=20, choices=BookingState.choices, default=BookingState.CONFIRMED)
    # A payment-pending booking holds its slot until then; the beat task releases it after.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    completion_label = models.CharField(max_length=40, blank=True, help_text="Snapshot of the outcome it was saved with.")
    series = models.ForeignKey(SessionSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    # The series date this session was made for; stays put when the session is moved.
    series_day = models.DateField(null=True, blank=True, editable=False)
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
            models.Index(fields=["hold_expires_at"], condition=Q(booking_state="payment_pending"), name="session_payment_holds"),
            # Portal requests by time: the beat declines those nobody answered before they began.
            models.Index(fields=["start"], condition=Q(booking_state="requested"), name="session_requests_by_start"),
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
            models.UniqueConstraint(fields=["series", "series_day"], name="one_session_per_series_day"),
        ]

    def __str__(self):
        # In the active zone, named: the viewer's on a page (Django admin too), UTC in a task.
        when = f" {timezone.localtime(self.start):%Y-%m-%d %H:%M %Z}" if self.start else ""
        return f"{self.get_kind_display()}{when} with {self.practitioner}"

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
    def is_requested(self) -> bool:
        return self.booking_state == BookingState.REQUESTED and self.status == SessionStatus.SCHEDULED

    @property
    def is_payment_pending(self) -> bool:
        return self.booking_state == BookingState.PAYMENT_PENDING and self.status == SessionStatus.SCHEDULED

    @property
    def is_unannounced(self) -> bool:
        """A portal booking not yet confirmed (requested, or waiting for its payment): it holds its
        slot, but its participants are told nothing until it is confirmed."""
        return self.is_requested or self.is_payment_pending

    def accepts_messages_about(self, start) -> bool:
        """Whether a message written about ``start`` may still go out (asked by notifications.delivery)."""
        return self.status != SessionStatus.CANCELED and (start is None or start == self.start)


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
    # The outcome this client was saved with: a snapshot, so later edits of the type change nothing here.
    completion_type = models.ForeignKey(CompletionType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completion_status = models.CharField(max_length=10, blank=True, choices=SessionStatus.choices)
    completion_label = models.CharField(max_length=40, blank=True)
    modifier_type = models.CharField(max_length=10, blank=True)
    client_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    practitioner_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

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

    @property
    def invite_state(self):
        """The state of the latest invitation (needs the ``invite_messages`` prefetch), or None."""
        messages = getattr(self, "invite_messages", None)
        return messages[0] if messages else None


class BookingAnswer(models.Model):
    """A client's answer to one question of the Booking Page Form; the question's label is kept
    as it was asked, so editing the form later changes no answer."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="booking_answers")
    question = models.ForeignKey("practice.BookingQuestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(max_length=200)
    answer = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.label}: {self.answer}"


class LateCancelAction(models.TextChoices):
    CONTACT = "contact", "Contact your practitioner to cancel"
    LATE_CANCEL = "late_cancel", "Late Cancel"


class CancellationPolicy(models.Model):
    """What a client may do in the portal inside the practice's cancellation notice
    (``Practice.cancellation_notice_hours``, counted in absolute hours before the session)."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="cancellation_policy")
    inside_window = models.CharField("Inside the notice", max_length=12, choices=LateCancelAction.choices,
                                     default=LateCancelAction.CONTACT)
    late_cancel_type = models.ForeignKey(
        CompletionType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name="Save a late cancel as", help_text="The completion type a late cancel is saved with (its charge).")
    reschedule_follows_window = models.BooleanField(
        "Reschedules follow the same notice", default=True,
        help_text="Inside the notice, a client cannot reschedule either.")
    note = models.TextField("Policy text", blank=True, max_length=1000,
                            help_text="Shown to clients with the rule, e.g. why the notice matters.")

    class Meta:
        verbose_name_plural = "cancellation policies"

    def __str__(self):
        return f"Cancellation policy of {self.practice}"


# --- The meeting room (secure video; DESIGN.md invariant 10) -------------------------------------
class MeetingBackend(models.TextChoices):
    P2P = "p2p", "Browser to browser"
    JANUS = "janus", "Janus SFU"


class MeetingState(models.TextChoices):
    OPEN = "open", "Open"
    ENDED = "ended", "Ended"


class Meeting(models.Model):
    """The video meeting of one session (sessions_app/meetings.py). Once ended it stays ended."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="meeting")
    backend = models.CharField(max_length=10, choices=MeetingBackend.choices, default=MeetingBackend.P2P)
    janus_node = models.CharField(max_length=300, blank=True, help_text="The Janus HTTP API the room lives on.")
    janus_room = models.BigIntegerField(null=True, blank=True)
    janus_pin = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=10, choices=MeetingState.choices, default=MeetingState.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["janus_node"], condition=Q(janus_room__isnull=False), name="meeting_janus_rooms")]

    def __str__(self):
        return f"Meeting of {self.session}"


class AdmissionRole(models.TextChoices):
    HOST = "host", "Host"
    PARTICIPANT = "participant", "Participant"


class AdmissionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ADMITTED = "admitted", "Admitted"
    DECLINED = "declined", "Declined"
    REMOVED = "removed", "Removed"


class Admission(models.Model):
    """One person in a meeting: a host, a session's participant, a portal client or someone with the
    access code (known by ``client_key``, the identity their join token carries). Two tabs and a
    reconnect are the same admission; ``channel_name`` is the socket that holds it now (blank when
    none), ``in_call_since`` when that socket joined the call (admitted and connected)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="admissions")
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=12, choices=AdmissionRole.choices, default=AdmissionRole.PARTICIPANT)
    status = models.CharField(max_length=10, choices=AdmissionStatus.choices, default=AdmissionStatus.WAITING)
    client_key = models.UUIDField(default=uuid.uuid4)
    channel_name = models.CharField(max_length=200, blank=True, editable=False)
    in_call_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "participant"], condition=Q(participant__isnull=False),
                                    name="one_admission_per_participant"),
            models.UniqueConstraint(fields=["meeting", "user"], condition=Q(user__isnull=False), name="one_admission_per_user"),
            models.UniqueConstraint(fields=["meeting", "client_key"], name="one_admission_per_client_key"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class MeetingEventKind(models.TextChoices):
    ENTERED = "entered", "Entered"
    WAITING = "waiting", "Waiting"
    ADMITTED = "admitted", "Admitted"
    DECLINED = "declined", "Declined"
    SENT_BACK = "sent_back", "Sent back to the waiting room"
    REMOVED = "removed", "Removed"
    LEFT = "left", "Left"
    ENDED = "ended", "Ended"
    REFUSED = "refused", "Refused"


class MeetingEvent(models.Model):
    """The meeting's audit trail (who entered, was admitted, left, was removed, when, from where).
    Append-only: the database refuses UPDATE and DELETE (migration 0010)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    admission = models.ForeignKey(Admission, null=True, blank=True, on_delete=models.RESTRICT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=MeetingEventKind.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S}"


# --- Participant documents (DESIGN.md invariant 11): their own module, part of this app's models.
from sessions_app.document_models import (  # noqa: E402,F401
    DocumentKind,
    DocumentPackage,
    DocumentPackageItem,
    DocumentRequest,
    DocumentSubmission,
    DocumentTemplate,
    DocumentTemplateVersion,
)
