"""Client accounts: the list of accounts with their totals, and one account's statement.

Plain functions over the ledger, each in a fixed number of queries whatever the
number of lines; the columns and signs are those of billing.lines.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BigIntegerField, Case, CharField, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Lower, NullIf, Trim

from billing.lines import CHARGE_KINDS, PAYMENT_KINDS, line_day
from billing.money import Money
from practice.models import Membership, User
from sessions_app.models import Contact

PAGE_SIZE = 50
# A Stripe id at the end of a label ("Card payment pi_3N…", "Refund re_3N…"), as payment lines were
# written before they got plain words; the ledger is append-only, so they are cleaned when shown.
STRIPE_ID = re.compile(r"\s+(?:pi|ch|py|re|cs|pyr|in)_[A-Za-z0-9]+$")


def display_label(label: str) -> str:
    """A ledger line's label as clients (and invoices) read it: without a trailing Stripe id."""
    return STRIPE_ID.sub("", label) or label


# --- the client list -------------------------------------------------------------------------

def account_summaries(lines, *, search=""):
    """One row per account of ``lines``: kind, pk, name, charges, payments, balance.

    One grouped query over every line of ``lines``; searching filters accounts by name,
    never lines, so the totals are always whole-account totals. Lines of a participant
    linked to neither a client nor a contact are grouped by the name written on them,
    with kind None (they have no account page). The client list pages with
    ``account_page`` instead, which sums only the lines of the page's accounts.
    """
    name = Coalesce(
        NullIf(Trim(Concat("client__first_name", Value(" "), "client__last_name")), Value("")),
        "client__email", "contact__name", "client_name", output_field=CharField(),
    )
    # A contact's lines belong to its account only while no client user is on them.
    contact = Case(When(client__isnull=True, then=F("contact_id")), default=None)
    rows = _sums(lines.annotate(account_name=name, account_contact=contact).values("client_id", "account_contact", "account_name"))
    if search:
        rows = rows.filter(account_name__icontains=search)
    return rows.order_by(Lower("account_name"), "client_id", "account_contact")


def _sums(grouped):
    return grouped.annotate(
        charges=Coalesce(Sum("amount", filter=Q(kind__in=CHARGE_KINDS)), Value(Decimal("0"))),
        payments=Coalesce(-Sum("amount", filter=Q(kind__in=PAYMENT_KINDS)), Value(Decimal("0"))),
        balance=Sum("amount"),
    )


KEY_COLUMNS = ("acc_user", "acc_contact", "acc_name", "acc_sort")


def _account_keys(practice, lines, search):
    """Every account of ``lines`` as (user id, contact id, name, sort name), without sums: one UNION of
    the practice's users with at least one line (one index probe each), its contacts with a line of
    their own (no client user on it), and the names on lines linked to neither. A client account's
    user is a member of the practice (ledger lines are written only for its clients)."""
    no_id = Cast(Value(None), BigIntegerField())  # typed: a bare NULL under DISTINCT reads as text
    user_name = Coalesce(NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")), "email", output_field=CharField())
    users = (User.objects.filter(Exists(Membership.objects.filter(practice=practice, user=OuterRef("pk"))),
                                 Exists(lines.filter(client_id=OuterRef("pk"))))
             .annotate(acc_user=F("pk"), acc_contact=no_id, acc_name=user_name, acc_sort=Lower(user_name)))
    contacts = (Contact.objects.filter(Exists(lines.filter(client__isnull=True, contact_id=OuterRef("pk"))), practice=practice)
                .annotate(acc_user=no_id, acc_contact=F("pk"), acc_name=F("name"), acc_sort=Lower("name")))
    unlinked = (lines.filter(client__isnull=True, contact__isnull=True)
                .annotate(acc_user=no_id, acc_contact=no_id, acc_name=F("client_name"), acc_sort=Lower("client_name")))
    parts = [users, contacts, unlinked]
    if search:
        parts = [part.filter(acc_name__icontains=search) for part in parts]
    users, contacts, unlinked = (part.order_by().values(*KEY_COLUMNS) for part in parts)
    return users.union(contacts, unlinked.distinct(), all=True)


class _Fetched:
    """One fetched page of a longer list, as Django's Paginator reads a list: its length and a slice."""

    def __init__(self, rows, count, offset):
        self.rows, self.total, self.offset = rows, count, offset

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, part):
        return self.rows[part.start - self.offset:part.stop - self.offset]


def account_page(practice, lines, *, search="", number=None, size=None):
    """One page of the accounts of ``lines``, by name, with their whole-account totals: a Django Page of
    ``account_summaries``-like rows.

    Two queries whatever the size of the ledger: the page's accounts with the number of accounts
    (``COUNT(*) OVER ()`` around the UNION of ``_account_keys``), then one grouped query summing the
    lines of those accounts only (DESIGN.md invariant 4: balances are sums of the ledger). A page
    number out of range shows the last page (one query more), as Paginator.get_page does; anything
    unreadable the first.
    """
    size = size or PAGE_SIZE
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    sql, params = _account_keys(practice, lines, search).query.sql_with_params()
    page_sql = (f"SELECT acc_user, acc_contact, acc_name, COUNT(*) OVER () FROM ({sql}) AS accounts "
                "ORDER BY acc_sort, acc_user, acc_contact, acc_name LIMIT %s OFFSET %s")

    def fetch(n):
        with connection.cursor() as cursor:
            cursor.execute(page_sql, [*params, size, (n - 1) * size])
            return cursor.fetchall()

    keys = fetch(number) if number >= 1 else []
    if not keys and number != 1:  # out of range (past the end, or below 1): the last page, as Paginator.get_page does
        number = max(-(-_account_keys(practice, lines, search).count() // size), 1)
        keys = fetch(number)
    count = keys[0][3] if keys else 0
    page = Paginator(_Fetched(_page_sums(lines, keys), count, (number - 1) * size), size).get_page(number)
    return page


def _page_sums(lines, keys):
    """The totals of the accounts ``keys`` (in that order): one grouped query over their lines only."""
    if not keys:
        return []
    users = [user for user, _, _, _ in keys if user]
    contacts = [contact for user, contact, _, _ in keys if contact and not user]
    names = [name for user, contact, name, _ in keys if not user and not contact]
    mine = Q(client_id__in=users) | Q(client__isnull=True, contact_id__in=contacts) | Q(
        client__isnull=True, contact__isnull=True, client_name__in=names)
    contact = Case(When(client__isnull=True, then=F("contact_id")), default=None)
    unlinked_name = Case(When(client__isnull=True, contact__isnull=True, then=F("client_name")), default=Value(""))
    grouped = _sums(lines.filter(mine).annotate(account_contact=contact, unlinked=unlinked_name)
                    .values("client_id", "account_contact", "unlinked")).order_by()
    totals = {(row["client_id"], row["account_contact"], row["unlinked"]): row for row in grouped}
    zero = {"charges": Decimal("0"), "payments": Decimal("0"), "balance": Decimal("0")}
    out = []
    for user, contact, name, _ in keys:
        found = totals.get((user, contact if not user else None, name if not (user or contact) else ""), zero)
        out.append({"client_id": user, "account_contact": contact, "account_name": name, **{k: found[k] for k in zero}})
    return out


def summary_rows(page_rows, currency):
    """Decorate a page of ``account_summaries`` rows for the template."""
    out = []
    for row in page_rows:
        if row["client_id"]:
            kind, pk = "u", row["client_id"]
        elif row["account_contact"]:
            kind, pk = "c", row["account_contact"]
        else:
            kind, pk = None, None
        out.append({
            "kind": kind, "pk": pk, "name": row["account_name"],
            "charges": Money(row["charges"], currency), "payments": Money(row["payments"], currency),
            "balance": Money(row["balance"], currency),
        })
    return out


# --- statements (the account page and the client's own balance) ------------------------------

@dataclass
class StatementLine:
    day: date
    label: str
    kind: str
    charge: Money | None
    payment: Money | None
    running: Money
    is_reversal: bool
    amount: Money  # as stored: what the line adds to the balance


@dataclass
class Statement:
    start: date
    end: date
    currency: str
    forward: Money
    lines: list
    charges: Money
    payments: Money
    closing: Money
    current: Money


def statement(practice, lines, start: date, end: date) -> Statement:
    """The lines of one account dated start..end with a running balance; three queries."""
    currency = practice.currency
    dated = lines.annotate(day=line_day(practice))
    totals = dated.aggregate(
        forward=Sum("amount", filter=Q(day__lt=start)),
        current=Sum("amount"),
    )
    rows = (dated.filter(day__gte=start, day__lte=end)
            .order_by("day", "id").values("id", "day", "kind", "amount", "label", "reverses_id"))
    running = totals["forward"] or Decimal("0")
    charges = payments = Decimal("0")
    out = []
    for row in rows:
        amount = row["amount"]
        running += amount
        charge = payment = None
        if row["kind"] in PAYMENT_KINDS:
            payment = Money(-amount, currency)
            payments += -amount
        else:
            charge = Money(amount, currency)
            charges += amount
        out.append(StatementLine(row["day"], display_label(row["label"]), row["kind"], charge, payment, Money(running, currency),
                                 row["reverses_id"] is not None, Money(amount, currency)))
    forward = totals["forward"] or Decimal("0")
    return Statement(
        start=start, end=end, currency=currency, forward=Money(forward, currency), lines=out,
        charges=Money(charges, currency), payments=Money(payments, currency),
        closing=Money(forward + charges - payments, currency), current=Money(totals["current"], currency),
    )
