"""The practice's cancellation policy for clients in the portal: every rule of it lives here.

The notice (``Practice.cancellation_notice_hours``) is counted in absolute hours back from the
session's start: a daylight-saving change inside the window neither lengthens nor shortens it
(24 hours before a Sunday 10:00 after the clocks went back is Saturday 11:00 on the wall). A
session starting exactly ``notice`` hours from now is outside the window (the client may still
cancel); one second later it is inside.

Inside the window, the policy says either "Contact your practitioner to cancel" (the portal
offers no Cancel button, only that sentence) or "Late Cancel": the client may cancel, and the
session is saved with the completion type chosen in the policy, so its charge goes through the
ledger like any saved session; a package credit stays used and a payment taken at booking stays
(it pays toward the charge). The Late Cancel type must be one of the practice's enabled types
that map to Canceled; when it no longer is (disabled, say), the policy acts as "Contact your
practitioner to cancel". Reschedules follow the same window when the policy says so.

The policy binds confirmed bookings. A request the practitioner has not confirmed yet, or a
booking still waiting for its payment, is no commitment yet: the client withdraws it at any time
(the slot is freed, a package credit and a payment at booking come back).

Team members are not bound by any of this: they cancel or save any session as usual.
"""
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from practice.errors import DomainError
from practice.models import Practice
from sessions_app import completion, messages, money
from sessions_app.models import CancellationPolicy, CompletionType, LateCancelAction, ModifierType, Session, SessionStatus
from sessions_app.scheduling import cancel_session

CONTACT_TO_CANCEL = "Contact your practitioner to cancel"
MAX_NOTICE_HOURS = 720  # 30 days
MAX_NOTE = 1000
_CACHE = "_cancellation_policy"


# --- The policy and its Late Cancel type -------------------------------------------------------

def policy_of(practice, *, fresh=False) -> CancellationPolicy:
    """The practice's policy (the default, "contact your practitioner", when none was saved), with
    its Late Cancel type, in one query; kept on the practice object for the rest of the request."""
    if fresh or not hasattr(practice, _CACHE):
        saved = CancellationPolicy.objects.select_related("late_cancel_type").filter(practice=practice).first()
        setattr(practice, _CACHE, saved or CancellationPolicy(practice=practice))
    return getattr(practice, _CACHE)


def late_cancel_types(practice):
    """The completion types a late cancel may be saved with: the practice's enabled types that map to Canceled."""
    return CompletionType.objects.filter(practice=practice, enabled=True, map_status=SessionStatus.CANCELED)


def is_late_cancel_type(practice, kind) -> bool:
    return (kind is not None and kind.practice_id == practice.pk and kind.enabled
            and kind.map_status == SessionStatus.CANCELED)


def late_cancel_type(practice, policy=None) -> CompletionType | None:
    """The type a client's cancel inside the window is saved with, or None: the policy is (or, its
    type no longer usable, acts as) "Contact your practitioner to cancel"."""
    policy = policy or policy_of(practice)
    if policy.inside_window != LateCancelAction.LATE_CANCEL or policy.late_cancel_type_id is None:
        return None
    kind = policy.late_cancel_type
    return kind if is_late_cancel_type(practice, kind) else None


@transaction.atomic
def save_settings(*, practice, notice_hours: int, inside: str, kind: CompletionType | None, reschedule_follows: bool,
                  note: str) -> CancellationPolicy:
    """Save the policy (and the practice's notice) together; a refusal writes nothing."""
    if not 0 <= notice_hours <= MAX_NOTICE_HOURS:
        raise DomainError(f"Enter a whole number of hours from 0 to {MAX_NOTICE_HOURS}.", code="notice")
    if inside not in LateCancelAction.values:
        raise DomainError("Choose what happens inside the notice.", code="inside")
    if kind is not None and not is_late_cancel_type(practice, kind):
        raise DomainError("Choose one of the completion types listed.", code="late_cancel_type")
    if inside == LateCancelAction.LATE_CANCEL and kind is None:
        raise DomainError("Choose the completion type a Late Cancel is saved with.", code="late_cancel_type")
    if len(note) > MAX_NOTE:
        raise DomainError(f"Keep the policy text under {MAX_NOTE + 1} characters.", code="note")
    Practice.objects.filter(pk=practice.pk).update(cancellation_notice_hours=notice_hours)
    saved, _created = CancellationPolicy.objects.update_or_create(practice=practice, defaults={
        "inside_window": inside, "late_cancel_type": kind, "reschedule_follows_window": reschedule_follows, "note": note})
    practice.cancellation_notice_hours = notice_hours
    return policy_of(practice, fresh=True)


# --- The window ----------------------------------------------------------------------------------

def cutoff(practice, session: Session) -> datetime:
    """The last moment the client may cancel or reschedule freely (absolute hours before the start)."""
    # In UTC: an aware datetime minus a timedelta is wall-clock arithmetic in its own zone (a
    # session read in New York would move its cut-off by an hour across a change).
    return session.start.astimezone(UTC) - timedelta(hours=practice.cancellation_notice_hours)


def inside_window(practice, session: Session, now=None) -> bool:
    """Whether the policy binds ``session`` now: a confirmed booking past its cut-off."""
    if session.is_unannounced:
        return False
    return (now or timezone.now()) > cutoff(practice, session)


def may_cancel(practice, session, now=None) -> bool:
    """Whether the portal offers Cancel now (else it shows "Contact your practitioner to cancel")."""
    return not inside_window(practice, session, now) or late_cancel_type(practice) is not None


def is_late_cancel(practice, session, now=None) -> bool:
    """Whether the client's cancel now would be saved as the policy's Late Cancel (and charged)."""
    return inside_window(practice, session, now) and late_cancel_type(practice) is not None


def may_reschedule(practice, session, now=None) -> bool:
    return not inside_window(practice, session, now) or not policy_of(practice).reschedule_follows_window


def _hours(hours: int) -> str:
    return f"{hours} hour{'' if hours == 1 else 's'}"


def check_reschedule(*, practice, session, now=None) -> None:
    policy_of(practice, fresh=True)
    if not may_reschedule(practice, session, now):
        raise DomainError(f"This session starts in less than {_hours(practice.cancellation_notice_hours)}, so it can "
                          f"no longer be rescheduled here. Please contact your practitioner.", code="policy_window")


# --- What clients read ---------------------------------------------------------------------------

def _charge(practice, kind) -> str:
    """What the type charges, in words: "50% of the session fee", "a fee of 25.00 USD", ""."""
    if not kind.client_modifier:
        return ""
    if kind.modifier_type == ModifierType.FIXED:
        return f"a fee of {money.amount(kind.client_modifier, practice.currency)} {practice.currency}"
    if kind.client_modifier == 100:
        return "the full session fee"
    return f"{kind.client_modifier}% of the session fee"


def describe(practice) -> str:
    """The policy in two or three sentences, for the review step and next to the Cancel button."""
    policy, hours = policy_of(practice), practice.cancellation_notice_hours
    if not hours:
        return f"You can cancel or reschedule here until your session starts. {policy.note}".strip()
    follows, kind = policy.reschedule_follows_window, late_cancel_type(practice, policy)
    if follows:
        text = f"You can cancel or reschedule here up to {_hours(hours)} before your session starts."
    else:
        text = f"You can cancel here up to {_hours(hours)} before your session starts, and reschedule until it starts."
    if kind is not None:
        charge = _charge(practice, kind)
        text += f" After that, a cancel is a {kind.label}: " + (f"{charge} is charged." if charge else "there is no charge.")
        if follows:
            text += " Rescheduling is then no longer possible here."
    else:
        text += f" After that, please contact your practitioner to cancel{' or reschedule' if follows else ''}."
    return f"{text} {policy.note}".strip()


def late_cancel_cost(practice, session, now=None) -> str:
    """What canceling now costs, for the cancel page ("This is a Late Cancel: 50% of the session
    fee (60.00 USD) is charged."), or "" when a cancel now is free (or not possible)."""
    if not is_late_cancel(practice, session, now):
        return ""
    kind = late_cancel_type(practice)
    client_amount, _wage = completion.amounts(session, completion.Outcome(kind), completion.base_amounts(session))
    parts = []
    if client_amount:
        charge = _charge(practice, kind)
        if kind.modifier_type == ModifierType.PERCENT:
            charge += f" ({client_amount} {practice.currency})"
        parts.append(f"{charge} is charged")
    if money.package_redemption(session) is not None:
        parts.append("the session stays used from your package")
    return f"This is a {kind.label}: {' and '.join(parts) or 'there is no charge'}."


def _late_cancel_notice(kind, charged, currency, package) -> str:
    """The line added to the client's cancel e-mail after a late cancel."""
    if charged:
        return f"It counts as a {kind.label}: {charged} {currency} is charged to your account."
    if package:
        return f"It counts as a {kind.label}: the session stays used from your package."
    return f"It counts as a {kind.label} (no charge)."


# --- The client's cancel ---------------------------------------------------------------------------

def cancel_by_client(*, membership, session: Session, now=None) -> Session:
    """The client's cancel under the policy, in the caller's transaction (the session row locked).

    Outside the window (or a booking not confirmed yet): canceled, the package credit returned, a
    payment taken at booking released. Inside it: refused ("Contact your practitioner to cancel"),
    or saved as the policy's Late Cancel type (charged through the ledger; the credit and any
    payment at booking stay). The practitioner is told by e-mail either way.
    """
    practice, now = membership.practice, now or timezone.now()
    policy = policy_of(practice, fresh=True)
    if not inside_window(practice, session, now):
        unannounced, unpaid = session.is_unannounced, session.is_payment_pending
        on_package = money.package_redemption(session) is not None
        # cancel_session returns the package credit and releases a payment taken at booking.
        session = cancel_session(practice=practice, actor=membership.user, session=session, notify=not unannounced)
        if not unpaid:  # the practitioner heard of a booking only once it was paid
            messages.client_canceled(session, package_returned=on_package)
        return session
    kind = late_cancel_type(practice, policy)
    if kind is None:
        raise DomainError(f"{CONTACT_TO_CANCEL}: this session starts in less than "
                          f"{_hours(practice.cancellation_notice_hours)}, so it can no longer be canceled here.",
                          code="policy_window")
    # The practice's own rule, applied on the client's behalf: no team member's role is checked.
    session = completion.save_session(practice=practice, actor=membership.user, membership=None, session=session,
                                      same_for_all=completion.Outcome(kind))
    participants = list(session.participants.all())
    charged = money.amount(sum((p.client_amount or 0 for p in participants if p.is_client), 0), practice.currency)
    package = money.package_redemption(session) is not None
    messages.cancel(session, participants, message=_late_cancel_notice(kind, charged, practice.currency, package))
    messages.client_canceled(session, late_label=kind.label, charge=f"{charged} {practice.currency}" if charged else "",
                             package_kept=package)
    return session
