"""Date-range filters ("From" / "To") shared by the session list and the billing pages."""
from datetime import date

from django import forms

# Outside these years date arithmetic overflows; no practice needs them.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class DateRangeMixin:
    """For a form with optional ``from`` and ``to`` DateFields: sane years, and ``to`` not before ``from``."""

    inverted_message = "The “To” date is before the “From” date. Choose a later date."

    def _clean_day(self, name):
        day = self.cleaned_data.get(name)
        if day and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(f"Enter a date between {EARLIEST_DAY.year} and {LATEST_DAY.year}.")
        return day

    def clean_from(self):
        return self._clean_day("from")

    def clean_to(self):
        return self._clean_day("to")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and last < first:
            self.add_error("to", self.inverted_message)
        return cleaned
