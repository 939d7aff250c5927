"""Rooms as sessions see them.

A session copies its room's kind (``room_is_in_person``) so the database can
refuse overlapping bookings of an in-person room. A room may therefore become
in-person only while none of its live sessions overlap, and saving a room
brings its sessions' copy along in the same transaction.
"""
from django.db import transaction
from django.db.models import Exists, OuterRef

from sessions_app.models import Session, SessionStatus


def room_has_overlapping_sessions(room) -> bool:
    """Whether two live sessions in the room overlap (allowed for a virtual room only)."""
    live = Session.objects.filter(room=room).exclude(status=SessionStatus.CANCELED)
    overlapping = live.filter(start__lt=OuterRef("end"), end__gt=OuterRef("start")).exclude(pk=OuterRef("pk"))
    return live.filter(Exists(overlapping)).exists()


@transaction.atomic
def save_room(room):
    """Save a new or changed room, and its sessions' copy of whether it is in person."""
    room.save()
    Session.objects.filter(room=room).exclude(room_is_in_person=room.is_in_person).update(room_is_in_person=room.is_in_person)
    return room
