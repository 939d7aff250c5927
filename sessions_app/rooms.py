"""Rooms as sessions see them.

A session copies its room's kind (``room_is_in_person``) so the database can
refuse overlapping bookings of an in-person room. A room may therefore become
in-person only while none of its live sessions overlap, and saving a room
brings its sessions' copy along in the same transaction.

The copy is only as good as the moment it was read, so a booking into a room and
a change of the room's kind serialise on the room's row: every booking takes
``locked_room`` (``SELECT ... FOR SHARE``: bookings do not wait for each other) and
reads the room's kind under that lock; ``save_room`` takes the row ``FOR NO KEY
UPDATE`` (what its own UPDATE takes, and it conflicts with FOR SHARE), then checks
the room's live sessions. Whichever commits first, the other sees it: a booking
made after the switch is in person and checked by the constraint; a switch made
after the bookings sees them all and refuses if two overlap.

Lock order, to stay free of deadlocks: the practitioner's bookings lock, the room, then any
session row (``scheduling._lock_booking``).
"""
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef

from practice.errors import DomainError, constraint_name
from practice.models import Room
from sessions_app.models import Session, SessionStatus

# First key of pg_advisory_xact_lock(key, room id): an in-person room's bookings lock.
ROOM_BOOKINGS_LOCK = 1102

OVERLAPPING_SESSIONS = (
    "This room has sessions at the same time as each other, so it cannot become an in-person room. "
    "Move those sessions first."
)


def room_has_overlapping_sessions(room) -> bool:
    """Whether two live sessions in the room overlap (allowed for a virtual room only)."""
    live = Session.objects.filter(room=room).exclude(status=SessionStatus.CANCELED)
    overlapping = live.filter(start__lt=OuterRef("end"), end__gt=OuterRef("start")).exclude(pk=OuterRef("pk"))
    return live.filter(Exists(overlapping)).exists()


def locked_room(room_id) -> Room:
    """The room as it is now, its row locked FOR SHARE until the transaction ends (call inside one).

    Bookings share the row lock; a change of the room's kind waits for them, and they for it.
    A booking into an in-person room also takes the room's bookings lock (an exclusive
    transaction-level advisory lock), so two bookings of one in-person room run one after the
    other instead of deadlocking inside the exclusion constraint (``scheduling._lock_booking``).
    """
    table = Room._meta.db_table
    room = next(iter(Room.objects.raw(f'SELECT * FROM "{table}" WHERE "id" = %s FOR SHARE', [room_id])), None)
    if room is None:
        raise DomainError("That room no longer exists. Choose another room.", code="room_gone")
    if room.is_in_person:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROOM_BOOKINGS_LOCK, room.pk])
    return room


@transaction.atomic
def save_room(room):
    """Save a new or changed room, and its sessions' copy of whether it is in person.

    Turning a room in person is refused (DomainError) while two of its live sessions
    overlap; the check runs under the room's lock, so no booking slips in meanwhile.
    """
    if room.pk:
        before = Room.objects.select_for_update(no_key=True).filter(pk=room.pk).first()
        if before is not None and room.is_in_person and not before.is_in_person and room_has_overlapping_sessions(room):
            raise DomainError(OVERLAPPING_SESSIONS, code="room_overlaps")
    room.save()
    try:
        Session.objects.filter(room=room).exclude(room_is_in_person=room.is_in_person).update(
            room_is_in_person=room.is_in_person
        )
    except IntegrityError as error:
        # A canceled session made live again meanwhile (it takes no room lock): the database refuses.
        if constraint_name(error) == "no_double_booking_room":
            raise DomainError(OVERLAPPING_SESSIONS, code="room_overlaps") from error
        raise
    return room
