"""Business errors: the one family domain functions raise, and the one map from a
database refusal to the words a person reads.

``DomainError`` subclasses ``ValidationError`` so forms can show it with
``form.add_error(None, error)``; views catch ``DomainError`` and never read an
``IntegrityError`` themselves. A database refusal whose constraint is not in
``CONSTRAINT_MESSAGES`` is a bug, not a user error, and is re-raised as is.
"""
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError


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


@contextmanager
def database_refusals():
    """Turn a known constraint refusal inside the block into its DomainError."""
    try:
        yield
    except IntegrityError as error:
        mapped = from_integrity_error(error)
        if mapped is None:
            raise
        raise mapped from error
