"""A client's invoice for a period: one line per session (its current outcome), other charges,
payments, and the balance due. Built in two queries; billing.pdf prints the same data."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.text import slugify

from billing.lines import CHARGE_KINDS, PAYMENT_KINDS, SEPARATOR, current_by_participant, line_day
from billing.models import EntryKind
from billing.money import Money
from billing.statements import display_label
from practice.periods import today


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


def invoice(practice, account, start: date, end: date) -> Invoice:
    """Sessions, other lines and payments of one account for start..end (inclusive); two queries."""
    currency = practice.currency
    lines = account.lines(practice).annotate(day=line_day(practice))
    forward = lines.filter(day__lt=start).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    rows = list(lines.filter(day__gte=start, day__lte=end).order_by("day", "id").values(
        "id", "day", "kind", "amount", "label", "reverses_id", "participant_id", "session_id", "service_date"))
    result = Invoice(
        number=invoice_number(account, start, end), issued=today(practice), practice_name=practice.name,
        client_name=account.name, start=start, end=end, currency=currency,
    )
    session_rows = [r for r in rows if r["kind"] == EntryKind.CHARGE and r["participant_id"]]
    charges = Decimal("0")
    for group in sorted(current_by_participant(session_rows), key=lambda g: (g["current"]["day"], g["first"]["id"])):
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
            result.payments.append(InvoiceOtherLine(row["day"], display_label(row["label"]), Money(-row["amount"], currency)))
            received += -row["amount"]
    result.forward = Money(forward, currency)
    result.charges_total = Money(charges, currency)
    result.payments_total = Money(received, currency)
    result.balance_due = Money(forward + charges - received, currency)
    return result
