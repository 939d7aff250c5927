"""Amounts as the billing pages show them: a Decimal in the practice currency (never float)."""
from decimal import Decimal

from billing import ledger


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
