"""Dates of a practice: its today and default periods, and the one rule for a "from"/"to" date range
(used by the session list, the billing pages and the cancellation tool)."""
import zoneinfo
from datetime import date, timedelta

from django.utils import timezone

# Outside these years date arithmetic overflows; no practice needs them.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def today(practice) -> date:
    """Today's date in the practice's time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def this_year(practice) -> tuple[date, date]:
    day = today(practice)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def this_month(practice) -> tuple[date, date]:
    day = today(practice)
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


class DateRangeMixin:
    """For a form with two optional DateFields: sane years, and the last not before the first.

    ``range_fields`` names the first and the last field (``from`` and ``to`` unless a form
    says otherwise); ``inverted_message`` is the error put on the last field when it is
    before the first. A subclass's ``clean`` calls ``super().clean()`` first, then finds a
    field with an error already out of ``cleaned_data``.
    """

    range_fields = ("from", "to")
    inverted_message = "The “To” date is before the “From” date. Choose a later date."
    out_of_range_message = f"Enter a date between {EARLIEST_DAY.year} and {LATEST_DAY.year}."

    def clean(self):
        cleaned = super().clean()
        for name in self.range_fields:
            day = cleaned.get(name)
            if day and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(name, self.out_of_range_message)
        first_name, last_name = self.range_fields
        first, last = cleaned.get(first_name), cleaned.get(last_name)
        if first and last and last < first:
            self.add_error(last_name, self.inverted_message)
        return cleaned
