"""Client accounts: the list of accounts with their totals, and one account's statement.

Plain functions over the ledger, each in a fixed number of queries whatever the
number of lines; the columns and signs are those of billing.lines.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, CharField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim

from billing.lines import CHARGE_KINDS, PAYMENT_KINDS, line_day
from billing.money import Money

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

    One grouped query (plus Paginator's count); searching filters accounts by name,
    never lines, so the totals are always whole-account totals. Lines of a participant
    linked to neither a client nor a contact are grouped by the name written on them,
    with kind None (they have no account page).
    """
    name = Coalesce(
        NullIf(Trim(Concat("client__first_name", Value(" "), "client__last_name")), Value("")),
        "client__email", "contact__name", "client_name", output_field=CharField(),
    )
    # A contact's lines belong to its account only while no client user is on them.
    contact = Case(When(client__isnull=True, then=F("contact_id")), default=None)
    rows = (
        lines.annotate(account_name=name, account_contact=contact)
        .values("client_id", "account_contact", "account_name")
        .annotate(
            charges=Coalesce(Sum("amount", filter=Q(kind__in=CHARGE_KINDS)), Value(Decimal("0"))),
            payments=Coalesce(-Sum("amount", filter=Q(kind__in=PAYMENT_KINDS)), Value(Decimal("0"))),
            balance=Sum("amount"),
        )
    )
    if search:
        rows = rows.filter(account_name__icontains=search)
    return rows.order_by(Lower("account_name"), "client_id", "account_contact")


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
