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

from practice.models import DeliveryMethod, Practice, Room, Service
from sessions_app.models import Participant, Session, SessionKind, SessionService, new_access_code

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
    Participant.objects.bulk_create(
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
        )
        for p in data.participants
    )
    return session
