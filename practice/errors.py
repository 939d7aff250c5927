"""Business errors: the one family domain functions raise, and the one map from a
database refusal to the words a person reads.

``DomainError`` subclasses ``ValidationError`` so forms can show it with
``form.add_error(None, error)``; views catch ``DomainError`` and never read an
``IntegrityError`` themselves. A database refusal whose constraint is not in
``CONSTRAINT_MESSAGES`` is a bug, not a user error, and is re-raised as is. A deadlock
or serialization failure around a booking's save is a lost race (``LOST_RACE``): the
other booking won, and the person reads a Conflict, not a 500.
"""
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError
from psycopg2.errors import DeadlockDetected, SerializationFailure


class DomainError(ValidationError):
    """A business rule refused the change; ``message`` is for the person who asked."""

    default_code = "invalid"

    def __init__(self, message, code=None):
        super().__init__(message, code=code or self.default_code)


class Conflict(DomainError):
    """The time is taken: an overlapping session of the practitioner or an in-person room."""

    default_code = "conflict"


class NotAllowed(DomainError, PermissionDenied):
    """The member's role or settings do not allow this change (a view answers it like any 403)."""

    default_code = "not_allowed"


class NotConfigured(DomainError):
    """The practice has not set up what this needs (Stripe, text messages)."""

    default_code = "not_configured"


# Constraint (or trigger) name -> (error class, message). The names are the
# database's; each is declared in the model (or migration) of the app that owns it.
CONSTRAINT_MESSAGES = {
    "no_double_booking_practitioner": (Conflict, "The practitioner already has a session at that time."),
    "no_double_booking_room": (Conflict, "That room is already booked at that time."),
    "session_ends_after_start": (DomainError, "A session must end after it starts."),
    "ledger_append_only": (DomainError, "Saved money lines cannot be changed; the change was not saved."),
}


# PostgreSQL answers two concurrent inserts of overlapping sessions, each already in the
# exclusion constraint's index and each waiting for the other, with a deadlock (40P01,
# "deadlock detected ... while checking exclusion constraint"); under a stricter isolation
# level the same race is a serialization failure (40001). Either way the other booking won.
LOST_RACE_CODES = {"40P01", "40001"}
LOST_RACE = (Conflict, "Someone else booked that time a moment ago. Choose another time.")


def constraint_name(error: IntegrityError) -> str:
    """The name of the constraint PostgreSQL reported, or ''."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def from_integrity_error(error: IntegrityError) -> DomainError | None:
    """The DomainError a known refusal means, or None for an unknown one."""
    known = CONSTRAINT_MESSAGES.get(constraint_name(error))
    if known is None:
        return None
    error_class, message = known
    return error_class(message)


def lost_race(error: DatabaseError) -> bool:
    """Whether the database refused a write because a concurrent one won (deadlock or serialization failure).

    Callers use it around the single statement that saves a session, where the only waits
    are on the exclusion constraints, the session's own row and its rooms' locks.
    """
    cause = error.__cause__
    return isinstance(cause, (DeadlockDetected, SerializationFailure)) or getattr(cause, "pgcode", None) in LOST_RACE_CODES


def from_database_error(error: DatabaseError) -> DomainError | None:
    """The DomainError a known refusal or a lost race means, or None (a bug: re-raise it)."""
    if isinstance(error, IntegrityError):
        return from_integrity_error(error)
    if lost_race(error):
        error_class, message = LOST_RACE
        return error_class(message, code="lost_race")
    return None


@contextmanager
def database_refusals():
    """Turn a known constraint refusal, or a lost race, inside the block into its DomainError."""
    try:
        yield
    except DatabaseError as error:
        mapped = from_database_error(error)
        if mapped is None:
            raise
        raise mapped from error
