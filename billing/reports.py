"""The data behind the billing pages: account summaries and statements, invoices, wages.

Plain functions over the ledger (billing.models.LedgerEntry), each in a fixed
number of queries whatever the number of lines. Amounts are Decimal in the
practice currency (``Money``); nothing here uses float.

Sign conventions (see LedgerEntry): on a client account a charge is positive,
a payment negative, a refund positive. Pages show two columns:

- "Charges": lines of kind charge or adjustment, signed as stored (a reversal
  of a charge shows as a negative charge);
- "Payments": lines of kind payment or refund, shown as money received
  (``-amount``: a payment of -100.00 shows 100.00, a refund -100.00).

The balance is the plain sum of the amounts (DESIGN.md invariant 4).
"""
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.db.models import Case, CharField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim, TruncDate
from django.utils import timezone
from django.utils.text import slugify

from billing import ledger
from billing.models import EntryKind
from practice.periods import DateRangeMixin

CHARGE_KINDS = (EntryKind.CHARGE, EntryKind.ADJUSTMENT)
PAYMENT_KINDS = (EntryKind.PAYMENT, EntryKind.REFUND)
PAGE_SIZE = 50
SEPARATOR = " · "


# --- money and dates -------------------------------------------------------------------------

class Money:
    """A Decimal amount in a currency, rounded to its minor unit; prints as ``1,234.50``."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount, currency):
        value = ledger.money(amount if amount is not None else Decimal("0"), currency)
        self.amount = value if value != 0 else abs(value)  # never "-0.00"
        self.currency = currency

    def __str__(self):
        places = ledger.MINOR_UNITS.get(self.currency.upper(), 2)
        return f"{self.amount:,.{places}f}"

    def __repr__(self):
        return f"Money({self.amount!s}, {self.currency!r})"

    def __eq__(self, other):
        if isinstance(other, Money):
            return (self.amount, self.currency) == (other.amount, other.currency)
        return NotImplemented

    __hash__ = None

    @property
    def with_currency(self):
        return f"{self} {self.currency}"

    @property
    def is_negative(self):
        return self.amount < 0

    @property
    def is_positive(self):
        return self.amount > 0


def today(practice) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def this_year(practice) -> tuple[date, date]:
    day = today(practice)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def this_month(practice) -> tuple[date, date]:
    day = today(practice)
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def _line_day(practice):
    """The date a line belongs to: its session's date, else the day it was written (practice zone)."""
    return Coalesce("service_date", TruncDate("created_at", tzinfo=zoneinfo.ZoneInfo(practice.time_zone)))


# --- the period form -------------------------------------------------------------------------

class PeriodForm(DateRangeMixin, forms.Form):
    """From/to dates (inclusive) in the URL; a missing or empty one takes the page's default."""

    def __init__(self, query, *, default: tuple[date, date], extra_fields=None):
        data = query.copy() if query is not None else {}
        for name, value in zip(("from", "to"), default):
            if not (data.get(name) or "").strip():
                data[name] = value.isoformat()
        super().__init__(data)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # Never empty (the default fills in), so not marked required.
        self.fields["from"] = forms.DateField(label="From", required=False, widget=date_input)
        self.fields["to"] = forms.DateField(label="To", required=False, widget=date_input)
        for name in ("from", "to"):
            self.fields[name].error_messages["invalid"] = "Enter a date like 2026-03-12."
        for name, form_field in (extra_fields or {}).items():
            self.fields[name] = form_field
        self.default = default

    @property
    def period(self) -> tuple[date, date]:
        """The valid period, or the default one (for pages shown with an error)."""
        if self.is_valid():
            return self.cleaned_data["from"] or self.default[0], self.cleaned_data["to"] or self.default[1]
        return self.default

    @property
    def query(self) -> str:
        """``from=...&to=...`` for links that keep the period."""
        start, end = self.period
        return f"from={start.isoformat()}&to={end.isoformat()}"


class SearchForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=120, strip=True,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search by name"}),
                        error_messages={"max_length": "Enter at most 120 characters."})


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

    @property
    def closing_differs_from_current(self):
        return self.closing != self.current


def statement(practice, lines, start: date, end: date) -> Statement:
    """The lines of one account dated start..end with a running balance; three queries."""
    currency = practice.currency
    day = _line_day(practice)
    dated = lines.annotate(day=day)
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
        out.append(StatementLine(row["day"], row["label"], row["kind"], charge, payment, Money(running, currency),
                                 row["reverses_id"] is not None, Money(amount, currency)))
    forward = totals["forward"] or Decimal("0")
    return Statement(
        start=start, end=end, currency=currency, forward=Money(forward, currency), lines=out,
        charges=Money(charges, currency), payments=Money(payments, currency),
        closing=Money(forward + charges - payments, currency), current=Money(totals["current"], currency),
    )


# --- invoices --------------------------------------------------------------------------------

@dataclass
class InvoiceLine:
    day: date
    services: str
    outcome: str
    amount: Money


@dataclass
class InvoiceOtherLine:
    day: date
    label: str
    amount: Money


@dataclass
class Invoice:
    number: str
    issued: date
    practice_name: str
    client_name: str
    start: date
    end: date
    currency: str
    sessions: list = field(default_factory=list)
    others: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    forward: Money = None
    charges_total: Money = None
    payments_total: Money = None
    balance_due: Money = None

    @property
    def filename(self):
        name = slugify(self.client_name) or "client"
        return f"invoice-{name}-{self.start.isoformat()}-{self.end.isoformat()}.pdf"


def invoice_number(account, start: date, end: date) -> str:
    """Deterministic: the same account and period always give the same number."""
    return f"{account.kind.upper()}{account.pk}-{start:%Y%m%d}-{end:%Y%m%d}"


def split_label(label: str) -> tuple[str, str]:
    """``"90837, 90785 · Late Cancel"`` -> ``("90837, 90785", "Late Cancel")``."""
    if SEPARATOR in label:
        services, outcome = label.split(SEPARATOR, 1)
        return services, outcome
    return label, ""


def _current_by_participant(rows):
    """Group session lines by participant: the net amount and the line of the current outcome.

    A re-saved session has its old line, the reversal of it and the new line; the net is
    the new amount and the label is the new line's (a snapshot written when it was saved).
    Participants whose every line has been reversed (no current outcome) are left out.
    """
    reversed_ids = {row["reverses_id"] for row in rows if row["reverses_id"]}
    groups = {}
    for row in rows:
        group = groups.setdefault(row["participant_id"], {"net": Decimal("0"), "current": None, "first": row})
        group["net"] += row["amount"]
        if row["reverses_id"] is None and row["id"] not in reversed_ids:
            group["current"] = row
    return [g for g in groups.values() if g["current"] is not None]


def invoice(practice, account, start: date, end: date) -> Invoice:
    """Sessions, other lines and payments of one account for start..end (inclusive); two queries."""
    currency = practice.currency
    lines = account.lines(practice).annotate(day=_line_day(practice))
    forward = lines.filter(day__lt=start).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    rows = list(lines.filter(day__gte=start, day__lte=end).order_by("day", "id").values(
        "id", "day", "kind", "amount", "label", "reverses_id", "participant_id", "session_id", "service_date"))
    result = Invoice(
        number=invoice_number(account, start, end), issued=today(practice), practice_name=practice.name,
        client_name=account.name, start=start, end=end, currency=currency,
    )
    session_rows = [r for r in rows if r["kind"] == EntryKind.CHARGE and r["participant_id"]]
    charges = Decimal("0")
    for group in sorted(_current_by_participant(session_rows), key=lambda g: (g["current"]["day"], g["first"]["id"])):
        services, outcome = split_label(group["current"]["label"])
        result.sessions.append(InvoiceLine(group["current"]["day"], services, outcome, Money(group["net"], currency)))
        charges += group["net"]
    for row in rows:
        if row["kind"] in CHARGE_KINDS and not (row["kind"] == EntryKind.CHARGE and row["participant_id"]):
            result.others.append(InvoiceOtherLine(row["day"], row["label"], Money(row["amount"], currency)))
            charges += row["amount"]
    received = Decimal("0")
    for row in rows:
        if row["kind"] in PAYMENT_KINDS:
            result.payments.append(InvoiceOtherLine(row["day"], row["label"], Money(-row["amount"], currency)))
            received += -row["amount"]
    result.forward = Money(forward, currency)
    result.charges_total = Money(charges, currency)
    result.payments_total = Money(received, currency)
    result.balance_due = Money(forward + charges - received, currency)
    return result


# --- wages -----------------------------------------------------------------------------------

@dataclass
class WageLine:
    day: date
    client_name: str
    label: str
    amount: Money


@dataclass
class PractitionerWages:
    practitioner_id: int
    name: str
    total: Money
    lines: list
    sessions: int


def wage_label(label: str, client_name: str) -> str:
    """A wage line's label ends with the participant's name, shown in its own column."""
    suffix = f"{SEPARATOR}{client_name}"
    return label[: -len(suffix)] if client_name and label.endswith(suffix) else label


def wage_report(practice, start: date, end: date, practitioner=None) -> list[PractitionerWages]:
    """Each practitioner's wages for sessions dated start..end, with one line per session and client; one query."""
    currency = practice.currency
    rows = list(ledger.wages(practice, start=start, end=end, practitioner=practitioner).order_by("service_date", "id").values(
        "id", "practitioner_id", "practitioner__first_name", "practitioner__last_name", "practitioner__email",
        "participant_id", "session_id", "service_date", "amount", "label", "reverses_id", "client_name",
    ))
    by_practitioner = {}
    for row in rows:
        by_practitioner.setdefault(row["practitioner_id"], []).append(row)
    report = []
    for practitioner_id, lines in by_practitioner.items():
        first = lines[0]
        name = f"{first['practitioner__first_name']} {first['practitioner__last_name']}".strip() or first["practitioner__email"]
        with_participant = [r for r in lines if r["participant_id"]]
        out = []
        total = Decimal("0")
        for group in _current_by_participant(with_participant):
            current = group["current"]
            out.append(WageLine(current["service_date"], current["client_name"],
                                wage_label(current["label"], current["client_name"]), Money(group["net"], currency)))
            total += group["net"]
        for row in lines:
            if not row["participant_id"]:
                out.append(WageLine(row["service_date"], row["client_name"], row["label"], Money(row["amount"], currency)))
                total += row["amount"]
        out.sort(key=lambda line: line.day)
        sessions = len({row["session_id"] for row in lines if row["session_id"]})
        report.append(PractitionerWages(practitioner_id, name, Money(total, currency), out, sessions))
    report.sort(key=lambda item: item.name.lower())
    return report


def wages_total(report, currency) -> Money:
    return Money(sum((item.total.amount for item in report), start=Decimal("0")), currency)
