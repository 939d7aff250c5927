"""The billing pages' GET forms: a period (from/to) and a search by name."""
from datetime import date

from django import forms

from practice.periods import DateRangeMixin


class PeriodForm(DateRangeMixin, forms.Form):
    """From/to dates (inclusive) in the URL; a missing or empty one takes the page's default."""

    def __init__(self, query, *, default: tuple[date, date], extra_fields=None):
        data = query.copy() if query is not None else {}
        for name, value in zip(("from", "to"), default, strict=True):
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
