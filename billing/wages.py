"""The wage report: each practitioner's wages for sessions in a period, one line per session and client."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.paginator import Paginator

from billing import ledger
from billing.lines import SEPARATOR, current_by_participant
from billing.money import Money


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
        for group in current_by_participant(with_participant):
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


LINES_PER_PAGE = 200


def paginate_lines(report, number, size=None):
    """Show one page of the report's lines (practitioner by practitioner, by date): each item keeps its
    whole-period total and session count (sums of every wage line of the period, invariant 4) and its
    ``lines`` become the ones on this page (maybe none). Returns the Django Page of (item, line) pairs."""
    pairs = [(item, line) for item in report for line in item.lines]
    page = Paginator(pairs, size or LINES_PER_PAGE).get_page(number)
    shown = {}
    for item, line in page.object_list:
        shown.setdefault(item.practitioner_id, []).append(line)
    for item in report:
        item.line_count = len(item.lines)
        item.lines = shown.get(item.practitioner_id, [])
    return page


def wages_total(report, currency) -> Money:
    return Money(sum((item.total.amount for item in report), start=Decimal("0")), currency)
