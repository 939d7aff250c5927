"""Reading ledger lines (billing.models.LedgerEntry) for statements, invoices and wages.

Sign conventions (see LedgerEntry): on a client account a charge is positive,
a payment negative, a refund positive. Pages show two columns:

- "Charges": lines of kind charge or adjustment, signed as stored (a reversal
  of a charge shows as a negative charge);
- "Payments": lines of kind payment or refund, shown as money received
  (``-amount``: a payment of -100.00 shows 100.00, a refund -100.00).

The balance is the plain sum of the amounts (DESIGN.md invariant 4).
"""
import zoneinfo
from decimal import Decimal

from django.db.models.functions import Coalesce, TruncDate

from billing.models import EntryKind

CHARGE_KINDS = (EntryKind.CHARGE, EntryKind.ADJUSTMENT)
PAYMENT_KINDS = (EntryKind.PAYMENT, EntryKind.REFUND)
# Between the parts of a line's label: "90837, 90785 · Late Cancel · Jamie Rivera".
SEPARATOR = " · "


def line_day(practice):
    """The date a line belongs to: its session's date, else the day it was written (practice zone)."""
    return Coalesce("service_date", TruncDate("created_at", tzinfo=zoneinfo.ZoneInfo(practice.time_zone)))


def current_by_participant(rows):
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
