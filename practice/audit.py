"""The access log: which team member viewed which client data, when and from where.

Views call ``record(request, kind, obj_id, description)`` (or ``record_many`` for
several things shown on one page) once they have fetched what they show; each
call writes at most one INSERT. Clients looking at their own data are not
logged, only team roles. Rows are append-only: the database refuses UPDATE and
DELETE (see the migration that creates ``practice_accesslogentry``).

Secrets never go into a description: pass tokens through ``token_hint``, which
keeps a short prefix only.
"""
from django.http import HttpRequest

from practice.models import TEAM_ROLES, AccessKind, AccessLogEntry

TOKEN_HINT_LENGTH = 6

__all__ = ["AccessKind", "record", "record_many", "token_hint"]


def token_hint(token) -> str:
    """A secret token as a short recognisable prefix ("Ab3xYz…"), never in full."""
    token = str(token or "")
    return f"{token[:TOKEN_HINT_LENGTH]}…" if token else ""


def _client_address(request):
    try:
        from practice.throttle import client_address
    except ImportError:  # the proxy-aware helper is not there yet: the direct peer
        return request.META.get("REMOTE_ADDR") or None
    return client_address(request) or None


def record_many(request_or_membership, items):
    """Log ``items`` (``(kind, obj_id, description)`` tuples) viewed by a team member, in one INSERT.

    ``request_or_membership`` is the request (user, role and client address come
    from it) or a ``Membership`` (a task or command: no address). Clients and
    anonymous requests are not logged. Returns the rows written.
    """
    if isinstance(request_or_membership, HttpRequest):
        membership = getattr(request_or_membership, "membership", None)
        address = _client_address(request_or_membership)
    else:
        membership, address = request_or_membership, None
    if membership is None or membership.role not in TEAM_ROLES or not items:
        return []
    rows = [
        AccessLogEntry(practice_id=membership.practice_id, user_id=membership.user_id, role=membership.role,
                       kind=AccessKind(kind), object_id=str(obj_id)[:64], description=str(description)[:200],
                       ip_address=address)
        for kind, obj_id, description in items
    ]
    return AccessLogEntry.objects.bulk_create(rows)


def record(request_or_membership, kind, obj_id, description):
    """Log one thing a team member viewed (see ``record_many``); returns the row or ``None``."""
    rows = record_many(request_or_membership, [(kind, obj_id, description)])
    return rows[0] if rows else None
