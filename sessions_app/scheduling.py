"""Scheduling rules: creating and moving sessions without double booking.

The database refuses overlaps (exclusion constraints on Session); this module
turns those refusals into plain-words errors and keeps every change in one
transaction, so a refused booking writes nothing.
"""
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from notifications import outbox
from practice.errors import Conflict, DomainError, constraint_name, from_database_error, lost_race
from practice.models import DeliveryMethod, Practice, Room, Service
from practice.timezones import elapsed, ends_at
from sessions_app import documents, messages, money, rooms
from sessions_app.closures import closure_on, closures_between
from sessions_app.models import BookingState, Contact, Participant, Session, SessionKind, SessionService, SessionStatus, new_access_code

# How far in the past a session may start: "New Session Now" is filled in a
# minute or two before it is saved.
PAST_GRACE = timedelta(minutes=15)
MIN_LENGTH = timedelta(minutes=5)
MAX_LENGTH = timedelta(minutes=720)


class SlotInPast(DomainError):
    default_code = "past"


class SlotLength(DomainError):
    default_code = "length"


class SlotOnClosure(DomainError):
    """The day is closed; the caller may ask the person to confirm (``closure`` says which)."""

    default_code = "closure"

    def __init__(self, message, closure):
        super().__init__(message)
        self.closure = closure


def closure_for(practice, start: datetime):
    """The closure covering ``start``'s day in the practice's zone, or None."""
    day = start.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
    return closures_between(practice, day, day).first()


def check_slot(*, practice: Practice, start: datetime, end: datetime, allow_closure=False, now=None, closures=None) -> None:
    """The one rule for when a session may be: not over 15 minutes in the past, 5 minutes to
    12 hours long, and not on a closed day unless ``allow_closure`` (the person confirmed).

    Used by the session form, calendar drags, series and the portal; the exclusion
    constraints on Session remain the backstop for overlaps. A caller checking many
    slots passes the practice's ``closures`` over their days (one query for all).
    """
    now = now or timezone.now()
    if start < now - PAST_GRACE:
        raise SlotInPast("That time has already passed. Choose a time from now on.")
    if not MIN_LENGTH <= elapsed(start, end) <= MAX_LENGTH:
        raise SlotLength("A session is 5 minutes to 12 hours long.")
    if not allow_closure:
        if closures is None:
            closure = closure_for(practice, start)
        else:
            closure = closure_on(start.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date(), closures)
        if closure is not None:
            raise SlotOnClosure(f"That day falls on the closure “{closure}”.", closure)


KEEP_DOCUMENTS = "keep"


def _send_documents(participant, data: "ParticipantData", actor) -> None:
    if data.document_package != KEEP_DOCUMENTS:
        documents.assign(participant=participant, package=data.document_package, actor=actor)


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
    # "Show Participant Documents": a DocumentPackage, None for none, or KEEP to leave them as they are.
    document_package: object = KEEP_DOCUMENTS


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
    # The day and wall time the person typed, in ``time_zone``. ``start`` differs from
    # them when the time fell in a spring-forward gap (02:30 typed, 03:30 kept); a series
    # repeats the typed time, not the moved one.
    day: date | None = None
    wall_time: time | None = None
    # A portal request (BookingState.REQUESTED) holds its slot but is not announced until confirmed.
    booking_state: str = BookingState.CONFIRMED

    @property
    def end(self) -> datetime:
        """The end, in UTC: the length is elapsed time, also across a clock change."""
        return ends_at(self.start, self.duration_minutes)

    def typed_day_and_time(self) -> tuple[date, time]:
        """The day and wall time to repeat: the typed ones, else ``start`` read in ``time_zone``."""
        if self.day is not None and self.wall_time is not None:
            return self.day, self.wall_time
        local = self.start.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        return local.date(), local.time().replace(second=0, microsecond=0)


# First key of pg_advisory_xact_lock(key, practitioner id): the practitioner's bookings lock.
PRACTITIONER_BOOKINGS_LOCK = 1101


def _lock_booking(practitioner_id, room_id) -> Room | None:
    """Take the locks a booking holds until its transaction ends, in this order and before any
    session row: the practitioner's bookings lock, then the room (``rooms.locked_room``: FOR SHARE,
    and an in-person room's bookings lock). Returns the room as it is now, or None.

    Two bookings that could overlap (one practitioner, or one in-person room) share a lock, so they
    run one after the other: the second sees the first committed and the exclusion constraint
    refuses it in its own words. Without it, two overlapping inserts can each wait for the other
    inside the constraint check, which PostgreSQL answers with a deadlock (a 500 before).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PRACTITIONER_BOOKINGS_LOCK, practitioner_id])
    return rooms.locked_room(room_id) if room_id else None


def _save_with_unique_code(session: Session, *, locked: bool = False) -> None:
    """Insert or update under the booking's locks, drawing a fresh access code if the random one
    is taken by a live session.

    The locks (``_lock_booking``) are taken here unless the caller did (``locked``); ``Session.save``
    copies whether the room is in person, read under the room's lock, so a room turned in person
    meanwhile is seen. A refusal becomes its DomainError (``practice.errors``). A lost race (a
    deadlock or serialization failure with a writer that took no booking lock) is tried once more,
    then it is the Conflict ``practice.errors.LOST_RACE``.
    """
    if not locked:
        room = _lock_booking(session.practitioner_id, session.room_id)
        if room is not None:
            session.room = room
    retried = False
    for _attempt in range(10):
        try:
            with transaction.atomic():
                session.save()
            return
        except DatabaseError as error:
            if isinstance(error, IntegrityError) and constraint_name(error) == "access_code_unique_live":
                session.access_code = new_access_code()
                continue
            if lost_race(error) and not retried:
                retried = True
                continue
            mapped = from_database_error(error)
            if mapped is None:
                raise
            raise mapped from error
    raise DomainError("No free access code could be drawn; try again.", code="access_code")


def _overlapped(sessions: list[Session], *, practitioner_id, room) -> set[int]:
    """The positions in ``sessions`` (new, unsaved) that a live session already overlaps: of the
    practitioner, or of the room when it is in person. The exclusion constraints' own question, asked
    for the whole batch in one query (through the constraints' GiST indexes, on the same expressions)."""
    if not sessions:
        return set()
    table = Session._meta.db_table
    params = [[s.start for s in sessions], [s.end for s in sessions],
              SessionStatus.CANCELED, practitioner_id, practitioner_id]
    room_clause = ""
    if room is not None and room.is_in_person:
        room_clause = f"""
            OR EXISTS (SELECT 1 FROM {table} x WHERE x.room_is_in_person AND NOT x.status = %s
                       AND int8range(x.room_id, x.room_id, '[]') && int8range(%s, %s, '[]')
                       AND tstzrange(x.start, x."end", '[)') && tstzrange(d.s, d.e, '[)'))"""
        params += [SessionStatus.CANCELED, room.pk, room.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT d.i - 1 FROM unnest(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS d(s, e, i)
            WHERE EXISTS (SELECT 1 FROM {table} x WHERE NOT x.status = %s
                          AND int8range(x.practitioner_id, x.practitioner_id, '[]') && int8range(%s, %s, '[]')
                          AND tstzrange(x.start, x."end", '[)') && tstzrange(d.s, d.e, '[)')){room_clause}""", params)
        return {row[0] for row in cursor.fetchall()}


def _draw_access_codes(sessions: list[Session]) -> None:
    """Give each new session an access code unique in the batch and among live sessions: the batch's
    codes checked in one query, the few taken ones drawn again (``_save_with_unique_code``'s rule)."""
    used = set()
    for session in sessions:
        while session.access_code in used:
            session.access_code = new_access_code()
        used.add(session.access_code)
    pending = sessions
    for _attempt in range(10):
        taken = set(Session.objects.filter(status=SessionStatus.SCHEDULED, access_code__in=[s.access_code for s in pending])
                    .values_list("access_code", flat=True))
        pending = [s for s in pending if s.access_code in taken]
        if not pending:
            return
        for session in pending:
            used.discard(session.access_code)
            while session.access_code in used or session.access_code in taken:
                session.access_code = new_access_code()
            used.add(session.access_code)
    raise DomainError("No free access code could be drawn; try again.", code="access_code")


def _insert_sessions(sessions: list[Session], *, practitioner_id, room) -> tuple[list[Session], list[Session]]:
    """Insert new sessions of one practitioner and room, under the booking locks the caller took
    (``_lock_booking``); returns (made, refused), each in the given order.

    The outcome of ``_save_with_unique_code`` for each session in turn, in a few statements for the
    batch: a session that a live one overlaps (or an earlier one of the batch) is refused; the others
    get free access codes and one INSERT. The exclusion constraints stay the backstop: if the INSERT is
    refused all the same (a writer that took no booking lock, or a code drawn meanwhile), nothing of it
    stays and each session goes through ``_save_with_unique_code`` as before.
    """
    in_person = bool(room and room.is_in_person)
    for session in sessions:
        session.room_is_in_person = in_person  # what Session.save copies, read under the room's lock
    overlapped = _overlapped(sessions, practitioner_id=practitioner_id, room=room)
    # Then against the batch's own sessions kept so far, taken by start (a series' days are already in
    # that order): one overlaps a kept one exactly when it starts before the latest end kept.
    latest_end = None
    for position in sorted(range(len(sessions)), key=lambda position: sessions[position].start):
        session = sessions[position]
        if position in overlapped:
            continue
        if latest_end is not None and session.start < latest_end:
            overlapped.add(position)
            continue
        latest_end = session.end if latest_end is None else max(latest_end, session.end)
    made = [session for position, session in enumerate(sessions) if position not in overlapped]
    refused = [session for position, session in enumerate(sessions) if position in overlapped]
    if not made:
        return made, refused
    _draw_access_codes(made)
    try:
        with transaction.atomic():
            Session.objects.bulk_create(made)
        return made, refused
    except DatabaseError:
        pass
    kept = []
    for session in made:
        session.pk = None
        session._state.adding = True
        try:
            _save_with_unique_code(session, locked=True)
        except Conflict:
            refused.append(session)
            continue
        kept.append(session)
    order = {id(session): n for n, session in enumerate(sessions)}
    refused.sort(key=lambda session: order[id(session)])
    return kept, refused


SERVICE_REQUIRED = "Choose at least one service: a session with a client is billed by its services."


def needs_service(*, kind: str, has_client: bool) -> bool:
    """Whether a session must have at least one service: every session with a client participant,
    except an Orientation Session (the practice's technical check, not billed). A session with no
    client participant (only the team, or tech support) bills nobody and needs none either."""
    return has_client and kind != SessionKind.ORIENTATION


def check_services(*, kind: str, data: SessionData) -> None:
    """Refuse (DomainError) a session with a client and no service: it would bill 0."""
    if needs_service(kind=kind, has_client=any(p.is_client for p in data.participants)) and not data.services:
        raise DomainError(SERVICE_REQUIRED, code="service_required")


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
    """Create a session with its services and participants, or raise Conflict (practice.errors)."""
    check_services(kind=data.kind, data=data)
    session = Session(
        practice=practice,
        practitioner=data.practitioner,
        room=data.room,
        kind=data.kind,
        start=data.start,
        end=data.end,
        time_zone=data.time_zone,
        delivery_method=data.delivery_method,
        public_note=data.public_note,
        private_note=data.private_note,
        booking_state=data.booking_state,
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
        )
        for p in data.participants
    )
    for row, p in zip(created, data.participants, strict=True):
        if p.payment_amount:
            money.set_payment_terms(row, service=p.payment_service, amount=p.payment_amount)
        _send_documents(row, p, actor)
    if data.booking_state == BookingState.CONFIRMED:
        messages.invite(session, created)
    return session


@transaction.atomic
def update_session(*, practice: Practice, actor, session: Session, data: SessionData, notify: bool = True) -> Session:
    """Change a session's time, people, room and services; refuse overlaps like ``schedule_session``.

    Participants carrying the ``id`` of one of the session's participants are
    updated in place; the others are added, and those left out are removed.
    """
    _lock_booking(data.practitioner.pk, data.room.pk if data.room else None)  # before the session's row
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    check_services(kind=session.kind, data=data)
    old_start = session.start
    session.practitioner = data.practitioner
    session.room = data.room
    session.start = data.start
    session.end = data.end
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
        row.save()
        money.set_payment_terms(row, service=p.payment_service, amount=p.payment_amount)  # paid ones keep theirs
        _send_documents(row, p, actor)  # signed documents always stay
    removed = [p for pk, p in existing.items() if p not in kept]
    outbox.withdraw(session, removed)
    session.participants.filter(pk__in=[p.pk for p in removed]).delete()
    if session.start != old_start:
        if notify:
            messages.reschedule(session, old_start, kept)
        else:
            outbox.withdraw(session, kept)
            for participant in kept:
                messages.schedule_reminders(session, participant)
    messages.invite(session, added)
    return session


@transaction.atomic
def cancel_session(*, practice: Practice, actor, session: Session, message: str = "", notify: bool = True) -> Session:
    """Cancel a scheduled session; its time is free again for the practitioner and room."""
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    if session.status != SessionStatus.SCHEDULED:
        raise DomainError("Only a scheduled session can be canceled.", code="not_scheduled")
    session.status = SessionStatus.CANCELED
    session.hold_expires_at = None  # a booking waiting for its payment holds nothing any more
    session.save(update_fields=["status", "hold_expires_at", "updated_at"])
    # Whoever cancels in time (the practice, or a client within the policy): a package credit comes
    # back, and a payment taken when the client booked is released (canceled or refunded).
    money.return_package_credit(session=session, reason="Session canceled.")
    money.release_booking_payment(session, reason="session canceled")
    messages.cancel(session, list(session.participants.all()), message=message, notify=notify)
    return session


@transaction.atomic
def move_session(*, practice: Practice, actor, session: Session, start: datetime, end: datetime,
                 allow_closure=False) -> Session:
    """Move a session to a new start and end (drag on the calendar); the same slot and overlap rules."""
    _lock_booking(session.practitioner_id, session.room_id)  # before the session's row
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    if session.status != SessionStatus.SCHEDULED:
        raise DomainError("Only a scheduled session can be moved.", code="not_scheduled")
    check_slot(practice=practice, start=start, end=end, allow_closure=allow_closure)
    old_start = session.start
    session.start, session.end = start, end
    _save_with_unique_code(session)
    if start != old_start:
        messages.reschedule(session, old_start, list(session.participants.all()))
    return session
