"""The practice's cancellation policy for clients in the portal.

The notice (``Practice.cancellation_notice_hours``) is counted in absolute hours back from the
session's start: a daylight-saving change inside the window neither lengthens nor shortens it.
A session starting exactly ``notice`` hours from now is outside the window (the client may still
cancel); one second later it is inside.

Inside the window, the policy says either "Contact your practitioner to cancel" (the portal
offers no Cancel button, only that sentence) or "Late Cancel": the client may cancel, and the
session is saved with the completion type chosen in the policy, so its charge goes through the
ledger like any saved session, and a package credit stays used. Reschedules follow the same
window when the policy says so. Team members are not bound by any of this.
"""
from datetime import datetime, timedelta

from django.utils import timezone

from practice.errors import DomainError
from sessions_app import completion, money
from sessions_app.models import CancellationPolicy, LateCancelAction, Session
from sessions_app.scheduling import cancel_session

CONTACT_TO_CANCEL = "Contact your practitioner to cancel"


def policy_of(practice) -> CancellationPolicy:
    """The practice's policy (the default, "contact your practitioner", when none was saved)."""
    try:
        return practice.cancellation_policy
    except CancellationPolicy.DoesNotExist:
        return CancellationPolicy(practice=practice)


def cutoff(practice, session: Session) -> datetime:
    """The last moment the client may cancel or reschedule freely (absolute hours before the start)."""
    return session.start - timedelta(hours=practice.cancellation_notice_hours)


def inside_window(practice, session: Session, now=None) -> bool:
    return (now or timezone.now()) > cutoff(practice, session)


def describe(practice) -> str:
    """The policy in one or two sentences, for the review step and next to the Cancel button."""
    policy, hours = policy_of(practice), practice.cancellation_notice_hours
    if not hours:
        text = "You can cancel or reschedule until the session starts."
    elif policy.inside_window == LateCancelAction.LATE_CANCEL and policy.late_cancel_type_id:
        kind = policy.late_cancel_type
        text = (f"You can cancel or reschedule up to {hours} hours before the session. Later, a cancel is a "
                f"{kind.label}{_charge(kind)}")
        text += "; rescheduling is no longer possible." if policy.reschedule_follows_window else "."
    else:
        text = (f"You can cancel{' or reschedule' if policy.reschedule_follows_window else ''} up to {hours} hours "
                f"before the session. After that, contact your practitioner to cancel.")
    return f"{text} {policy.note}".strip()


def _charge(kind) -> str:
    if kind.modifier_type == "percent":
        return f" ({kind.client_modifier}% of the session fee)" if kind.client_modifier else " (no charge)"
    return f" ({kind.client_modifier} charged)" if kind.client_modifier else " (no charge)"


def may_cancel(practice, session, now=None) -> bool:
    """Whether the portal offers Cancel now (else it shows "Contact your practitioner to cancel")."""
    if not inside_window(practice, session, now):
        return True
    policy = policy_of(practice)
    return policy.inside_window == LateCancelAction.LATE_CANCEL and policy.late_cancel_type_id is not None


def may_reschedule(practice, session, now=None) -> bool:
    return not (policy_of(practice).reschedule_follows_window and inside_window(practice, session, now))


def check_reschedule(*, practice, session, now=None) -> None:
    if not may_reschedule(practice, session, now):
        raise DomainError(f"This session starts in less than {practice.cancellation_notice_hours} hours: it can no "
                          f"longer be rescheduled here. Contact your practitioner.", code="policy_window")


def cancel_by_client(*, membership, session: Session, now=None) -> Session:
    """The client's cancel under the policy, in the caller's transaction (the session row locked).

    Outside the window: canceled, the package credit returned, a payment taken at booking
    released. Inside it: refused ("Contact your practitioner to cancel"), or saved as the
    policy's Late Cancel type (charged through the ledger; the credit stays used).
    """
    practice, now = membership.practice, now or timezone.now()
    if not inside_window(practice, session, now):
        unannounced = session.is_unannounced
        session = cancel_session(practice=practice, actor=membership.user, session=session, notify=not unannounced)
        money.return_package_credit(session=session, reason="Canceled by the client within the policy.")
        money.release_booking_payment(session, reason="canceled by the client")
        return session
    if not may_cancel(practice, session, now):
        raise DomainError(f"{CONTACT_TO_CANCEL}: this session starts in less than "
                          f"{practice.cancellation_notice_hours} hours.", code="policy_window")
    kind = policy_of(practice).late_cancel_type
    # The practice's own rule, applied on the client's behalf: no team member's role is checked.
    return completion.save_session(practice=practice, actor=membership.user, membership=None, session=session,
                                   same_for_all=completion.Outcome(kind))
