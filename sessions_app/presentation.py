"""How a session's status looks, in one place.

Each status has a Bootstrap contextual name (the list and detail badges:
``text-bg-<name>``) and a hex colour (the calendar's events and its legend).
"""
from typing import NamedTuple

from sessions_app.models import SessionStatus


class StatusLook(NamedTuple):
    context: str  # Bootstrap contextual name: primary, success, warning, secondary
    color: str  # hex, for the calendar


STATUS_LOOKS = {
    SessionStatus.SCHEDULED: StatusLook("primary", "#0d6efd"),
    SessionStatus.COMPLETED: StatusLook("success", "#198754"),
    SessionStatus.MISSED: StatusLook("warning", "#fd7e14"),
    SessionStatus.CANCELED: StatusLook("secondary", "#adb5bd"),
}


def badge_class(status):
    """The Bootstrap badge class of a status, e.g. ``text-bg-success``."""
    look = STATUS_LOOKS.get(status)
    return f"text-bg-{look.context if look else 'secondary'}"


def event_color(status):
    """The calendar colour of a status."""
    return STATUS_LOOKS.get(status, STATUS_LOOKS[SessionStatus.SCHEDULED]).color


def legend():
    """(label, colour) of every status, in the order of ``SessionStatus``."""
    return [(status.label, STATUS_LOOKS[status].color) for status in SessionStatus]
