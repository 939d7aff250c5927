"""Access functions for billing: the only way billing views reach ledger lines.

A client account is a client user (kind ``u``: ``LedgerEntry.client``) or a
contact without a user (kind ``c``: ``LedgerEntry.contact`` with no client).
Every function scopes to the request's practice first, so an account of another
practice (or an id that only exists there) answers 404 whatever the role; then
the role narrows it:

- admin and staff: every account of the practice;
- a practitioner: accounts with at least one line from their own sessions;
- a client: their own account only (anything else is 404, never 403, so a
  client cannot learn which ids exist).
"""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from billing import ledger
from billing.models import EntryKind, LedgerEntry
from practice.models import OFFICE_ROLES, Membership, Role, User
from sessions_app.models import Contact

USER, CONTACT = "u", "c"


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


def account_lines_visible_to(request):
    """The client-account lines (every kind but wages) whose accounts the member may see, whole accounts only."""
    lines = LedgerEntry.objects.filter(practice=request.practice).exclude(kind=EntryKind.WAGE)
    role = request.membership.role if request.membership else None
    if role in OFFICE_ROLES:
        return lines
    if role == Role.PRACTITIONER:
        own = LedgerEntry.objects.filter(practice=request.practice, practitioner=request.user).exclude(kind=EntryKind.WAGE)
        return lines.filter(
            Q(client__isnull=False, client_id__in=own.filter(client__isnull=False).values("client_id"))
            | Q(client__isnull=True, contact__isnull=False,
                contact_id__in=own.filter(client__isnull=True, contact__isnull=False).values("contact_id"))
            # Lines of a participant linked to neither: only the practitioner's own.
            | Q(client__isnull=True, contact__isnull=True, practitioner=request.user)
        )
    if role == Role.CLIENT:
        return lines.filter(client=request.user)
    return lines.none()


def _user_account(request, pk) -> Account:
    practice = request.practice
    in_practice = Exists(Membership.objects.filter(practice=practice, user=OuterRef("pk"), role=Role.CLIENT)) | Exists(
        LedgerEntry.objects.filter(practice=practice, client=OuterRef("pk"))
    )
    user = User.objects.filter(in_practice, pk=pk).first()
    if user is None:
        raise Http404("No such account in this practice.")
    return Account(USER, user.pk, str(user), client=user)


def _contact_account(request, pk) -> Account:
    contact = Contact.objects.filter(practice=request.practice, pk=pk).first()
    if contact is None:
        raise Http404("No such account in this practice.")
    return Account(CONTACT, contact.pk, contact.name, contact=contact)


def client_account_for(request, kind, pk) -> Account:
    """The account ``kind``+``pk`` if the member may open it, else 404 (403 is never used here)."""
    if request.practice is None or request.membership is None:
        raise Http404("No such account in this practice.")
    role = request.membership.role
    if role == Role.CLIENT and not (kind == USER and int(pk) == request.user.pk):
        raise Http404("No such account in this practice.")
    if kind == USER:
        account = _user_account(request, pk)
    elif kind == CONTACT:
        account = _contact_account(request, pk)
    else:
        raise Http404("No such account in this practice.")
    if role == Role.PRACTITIONER:
        if not account.lines(request.practice).filter(practitioner=request.user).exists():
            raise Http404("No such account in this practice.")
    elif role not in (*OFFICE_ROLES, Role.CLIENT):
        raise Http404("No such account in this practice.")
    return account


def own_account(request) -> Account:
    """A client's own account in the request's practice."""
    return Account(USER, request.user.pk, str(request.user), client=request.user)


def practitioners_visible_to(request):
    """Whose wages a member may see: office roles every practitioner of the practice, a practitioner only themself."""
    if request.membership is not None and request.membership.role in OFFICE_ROLES:
        return User.objects.filter(
            memberships__practice=request.practice, memberships__role__in=(Role.PRACTITIONER, Role.ADMIN),
        ).distinct().order_by("first_name", "last_name", "email")
    return User.objects.filter(pk=request.user.pk)
