"""Scheduling rules: creating and moving sessions without double booking.

The database refuses overlaps (exclusion constraints on Session); this module
turns those refusals into plain-words errors and keeps every change in one
transaction, so a refused booking writes nothing.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from notifications import outbox
from practice.models import DeliveryMethod, Practice, Room, Service
from sessions_app.models import Contact, Participant, PaymentState, Session, SessionKind, SessionService, SessionStatus, new_access_code

CONFLICT_MESSAGES = {
    "no_double_booking_practitioner": "The practitioner already has a session at that time.",
    "no_double_booking_room": "That room is already booked at that time.",
}


class SchedulingConflict(ValidationError):
    """The booking overlaps another session of the practitioner or the room."""


@dataclass
class ParticipantData:
    name: str
    invite_method: str
    time_zone: str
    email: str = ""
    phone: str = ""
    contact: object = None
    client: object = None
    is_client: bool = True
    id: int | None = None
    save_as_contact: bool = False
    payment_service: object = None
    payment_amount: Decimal | None = None


@dataclass
class SessionData:
    practitioner: object
    start: datetime
    duration_minutes: int
    time_zone: str
    room: Room | None = None
    delivery_method: str = DeliveryMethod.IN_PERSON
    kind: str = SessionKind.REGULAR
    public_note: str = ""
    private_note: str = ""
    services: list[tuple[Service, Decimal]] = field(default_factory=list)
    participants: list[ParticipantData] = field(default_factory=list)


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _save_with_unique_code(session: Session) -> None:
    """Insert or update, drawing a fresh access code if the random one is taken by a live session."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                session.save()
            return
        except IntegrityError as error:
            name = _constraint_name(error)
            if name in CONFLICT_MESSAGES:
                raise SchedulingConflict(CONFLICT_MESSAGES[name], code="conflict") from error
            if name != "access_code_unique_live":
                raise
            session.access_code = new_access_code()
    raise RuntimeError("Could not draw a free access code.")


def _remember_contacts(practice, owner, participants):
    """Save the participants marked "Save to my contacts" as the host's contacts."""
    for p in participants:
        if p.save_as_contact and p.contact is None and p.is_client:
            p.contact = Contact.objects.create(
                practice=practice, owner=owner, name=p.name, email=p.email, phone=p.phone,
                time_zone=p.time_zone, invite_method=p.invite_method, client=p.client,
            )


@transaction.atomic
def schedule_session(*, practice: Practice, actor, data: SessionData) -> Session:
    """Create a session with its services and participants, or raise SchedulingConflict."""
    session = Session(
        practice=practice,
        practitioner=data.practitioner,
        room=data.room,
        kind=data.kind,
        start=data.start,
        end=data.start + timedelta(minutes=data.duration_minutes),
        time_zone=data.time_zone,
        delivery_method=data.delivery_method,
        public_note=data.public_note,
        private_note=data.private_note,
        created_by=actor,
    )
    _save_with_unique_code(session)
    SessionService.objects.bulk_create(
        SessionService(session=session, service=service, price=price, position=index)
        for index, (service, price) in enumerate(data.services)
    )
    _remember_contacts(practice, actor, data.participants)
    created = Participant.objects.bulk_create(
        Participant(
            session=session,
            name=p.name,
            invite_method=p.invite_method,
            email=p.email,
            phone=p.phone,
            time_zone=p.time_zone,
            contact=p.contact,
            client=p.client,
            is_client=p.is_client,
            payment_service=p.payment_service,
            payment_amount=p.payment_amount,
            payment_state=PaymentState.REQUIRED if p.payment_amount else PaymentState.NOT_REQUIRED,
        )
        for p in data.participants
    )
    outbox.invite(session, created)
    return session


@transaction.atomic
def update_session(*, practice: Practice, actor, session: Session, data: SessionData, notify: bool = True) -> Session:
    """Change a session's time, people, room and services; refuse overlaps like ``schedule_session``.

    Participants carrying the ``id`` of one of the session's participants are
    updated in place; the others are added, and those left out are removed.
    """
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    old_start = session.start
    session.practitioner = data.practitioner
    session.room = data.room
    session.start = data.start
    session.end = data.start + timedelta(minutes=data.duration_minutes)
    session.time_zone = data.time_zone
    session.delivery_method = data.delivery_method
    session.public_note = data.public_note
    session.private_note = data.private_note
    _save_with_unique_code(session)

    session.session_services.all().delete()
    SessionService.objects.bulk_create(
        SessionService(session=session, service=service, price=price, position=index)
        for index, (service, price) in enumerate(data.services)
    )

    _remember_contacts(practice, actor, data.participants)
    existing = {p.pk: p for p in session.participants.all()}
    kept, added = [], []
    for p in data.participants:
        row = existing.get(p.id) if p.id else None
        if row is None:
            row = Participant(session=session)
            added.append(row)
        else:
            kept.append(row)
        for name in ("name", "invite_method", "email", "phone", "time_zone", "contact", "client", "is_client"):
            setattr(row, name, getattr(p, name))
        if row.payment_state in (PaymentState.NOT_REQUIRED, PaymentState.REQUIRED):  # paid ones keep their terms
            row.payment_service, row.payment_amount = p.payment_service, p.payment_amount
            row.payment_state = PaymentState.REQUIRED if p.payment_amount else PaymentState.NOT_REQUIRED
        row.save()
    removed = [p for pk, p in existing.items() if p not in kept]
    outbox.withdraw(session, removed)
    session.participants.filter(pk__in=[p.pk for p in removed]).delete()
    if session.start != old_start:
        if notify:
            outbox.reschedule(session, old_start, kept)
        else:
            outbox.withdraw(session, kept)
            for participant in kept:
                outbox.schedule_reminders(session, participant)
    outbox.invite(session, added)
    return session


@transaction.atomic
def cancel_session(*, practice: Practice, actor, session: Session, message: str = "", notify: bool = True) -> Session:
    """Cancel a scheduled session; its time is free again for the practitioner and room."""
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError("Only a scheduled session can be canceled.", code="not_scheduled")
    session.status = SessionStatus.CANCELED
    session.save(update_fields=["status", "updated_at"])
    outbox.cancel(session, list(session.participants.all()), message=message, notify=notify)
    return session


def room_has_overlapping_sessions(room) -> bool:
    """Whether two live sessions in the room overlap (allowed for a virtual room only)."""
    live = Session.objects.filter(room=room).exclude(status=SessionStatus.CANCELED)
    overlapping = live.filter(start__lt=OuterRef("end"), end__gt=OuterRef("start")).exclude(pk=OuterRef("pk"))
    return live.filter(Exists(overlapping)).exists()


@transaction.atomic
def move_session(*, practice: Practice, actor, session: Session, start: datetime, end: datetime) -> Session:
    """Move a session to a new start and end (drag on the calendar); same overlap rules."""
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError("Only a scheduled session can be moved.", code="not_scheduled")
    if end <= start:
        raise ValidationError("A session must end after it starts.", code="bad_range")
    old_start = session.start
    session.start, session.end = start, end
    _save_with_unique_code(session)
    if start != old_start:
        outbox.reschedule(session, old_start, list(session.participants.all()))
    return session
