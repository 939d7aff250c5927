"""Access functions for billing: the only way to reach ledger lines and client accounts.

Each takes the member asking (a practice.models.Membership: ``.practice``,
``.user``, ``.role``), never a request, so views, Celery tasks, management
commands and a client portal share one check. A missing or inactive membership
sees nothing.

A client account is a client user (kind ``u``: ``LedgerEntry.client``) or a
contact without a user (kind ``c``: ``LedgerEntry.contact`` with no client).
Every function scopes to the membership's practice first, so an account of
another practice (or an id that only exists there) answers 404 whatever the
role; then the role narrows it:

- admin and staff: every account of the practice;
- a practitioner: accounts with at least one line from their own sessions;
- a client: their own account only (anything else is 404, never 403, so a
  client cannot learn which ids exist).
"""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from billing import ledger
from billing.models import EntryKind, LedgerEntry, Payment
from practice import selectors
from practice.access import require
from practice.models import OFFICE_ROLES, TEAM_ROLES, Membership, Role, User
from sessions_app.models import Contact

USER, CONTACT = "u", "c"
NOT_FOUND = "No such account in this practice."


@dataclass
class Account:
    kind: str  # "u" or "c"
    pk: int
    name: str
    client: User | None = None
    contact: Contact | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}{self.pk}"

    def lines(self, practice):
        """Every non-wage ledger line of the account, in ``practice``."""
        return ledger.client_account(practice, client=self.client, contact=self.contact if self.client is None else None)


def payment_for(membership, pk):
    """A payment the team member may act on (refund): their practice's, and for a practitioner,
    one from their own sessions. Another practice's payment is 404; a client is refused (403) for
    their own payment and sees 404 for anyone else's, so ids of others' payments stay unknown."""
    payments = Payment.objects.select_related("participant__session").filter(practice=membership.practice)
    if membership.role == Role.PRACTITIONER:
        payments = payments.filter(participant__session__practitioner_id=membership.user_id)
    elif membership.role == Role.CLIENT:
        payments = payments.filter(participant__client_id=membership.user_id)
    payment = get_object_or_404(payments, pk=pk)
    require(membership, TEAM_ROLES)
    return payment


def _role(membership):
    """The member's role, or None for no membership or an inactive one."""
    return membership.role if membership is not None and membership.is_active else None


def account_lines_visible_to(membership):
    """The client-account lines (every kind but wages) whose accounts the member may see, whole accounts only."""
    role = _role(membership)
    if role is None:
        return LedgerEntry.objects.none()
    practice, user_id = membership.practice, membership.user_id
    lines = LedgerEntry.objects.filter(practice=practice).exclude(kind=EntryKind.WAGE)
    if role in OFFICE_ROLES:
        return lines
    if role == Role.PRACTITIONER:
        own = LedgerEntry.objects.filter(practice=practice, practitioner_id=user_id).exclude(kind=EntryKind.WAGE)
        return lines.filter(
            Q(client__isnull=False, client_id__in=own.filter(client__isnull=False).values("client_id"))
            | Q(client__isnull=True, contact__isnull=False,
                contact_id__in=own.filter(client__isnull=True, contact__isnull=False).values("contact_id"))
            # Lines of a participant linked to neither: only the practitioner's own.
            | Q(client__isnull=True, contact__isnull=True, practitioner_id=user_id)
        )
    if role == Role.CLIENT:
        return lines.filter(client_id=user_id)
    return lines.none()


def _user_account(practice, pk) -> Account:
    in_practice = Exists(Membership.objects.filter(practice=practice, user=OuterRef("pk"), role=Role.CLIENT)) | Exists(
        LedgerEntry.objects.filter(practice=practice, client=OuterRef("pk"))
    )
    user = User.objects.filter(in_practice, pk=pk).first()
    if user is None:
        raise Http404(NOT_FOUND)
    return Account(USER, user.pk, str(user), client=user)


def _contact_account(practice, pk) -> Account:
    contact = Contact.objects.filter(practice=practice, pk=pk).first()
    if contact is None:
        raise Http404(NOT_FOUND)
    return Account(CONTACT, contact.pk, contact.name, contact=contact)


def client_account_for(membership, kind, pk) -> Account:
    """The account ``kind``+``pk`` if the member may open it, else 404 (403 is never used here)."""
    role = _role(membership)
    if role not in (*OFFICE_ROLES, Role.PRACTITIONER, Role.CLIENT):
        raise Http404(NOT_FOUND)
    if role == Role.CLIENT and not (kind == USER and int(pk) == membership.user_id):
        raise Http404(NOT_FOUND)
    practice = membership.practice
    if kind == USER:
        account = _user_account(practice, pk)
    elif kind == CONTACT:
        account = _contact_account(practice, pk)
    else:
        raise Http404(NOT_FOUND)
    if role == Role.PRACTITIONER and not account.lines(practice).filter(practitioner_id=membership.user_id).exists():
        raise Http404(NOT_FOUND)
    return account


def own_account(membership) -> Account:
    """A client's own account in the membership's practice."""
    user = membership.user
    return Account(USER, user.pk, str(user), client=user)


def practitioners_visible_to(membership):
    """Whose wages a member may see: office roles every active practitioner of the practice, others only themself."""
    role = _role(membership)
    if role is None:
        return User.objects.none()
    if role in OFFICE_ROLES:
        return selectors.practitioners(membership.practice)
    return User.objects.filter(pk=membership.user_id)
