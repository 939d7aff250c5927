"""Billing forms: the pages' period (from/to) and name search, a refund, and the Stripe settings."""
from datetime import date

from django import forms

from practice.crypto import mask  # noqa: F401  (billing's pages mask secrets the same way)
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


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount to refund", max_digits=10, decimal_places=2, min_value=0.01, required=False,
                                help_text="Leave empty to refund everything that is left.")


class StripeSettingsForm(forms.Form):
    stripe_account_id = forms.RegexField(label="Connected account (acct_…)", regex=r"^(acct_[A-Za-z0-9]+)?$", required=False,
                                         error_messages={"invalid": "A connected account id starts with acct_."})
    stripe_publishable_key = forms.RegexField(label="Publishable key", regex=r"^(pk_(test|live)_[A-Za-z0-9]+)?$", required=False,
                                              error_messages={"invalid": "A publishable key starts with pk_test_ or pk_live_."})
    stripe_secret_key = forms.RegexField(label="Secret key", regex=r"^((sk|rk)_(test|live)_[A-Za-z0-9]+)?$", required=False,
                                         widget=forms.PasswordInput(render_value=False),
                                         error_messages={"invalid": "A secret key starts with sk_test_, sk_live_ or rk_."},
                                         help_text="Leave empty to keep the saved key.")
    stripe_webhook_secret = forms.RegexField(label="Webhook signing secret", regex=r"^(whsec_[A-Za-z0-9]+)?$", required=False,
                                             widget=forms.PasswordInput(render_value=False),
                                             error_messages={"invalid": "A signing secret starts with whsec_."},
                                             help_text="Leave empty to keep the saved secret.")
    clear_keys = forms.BooleanField(label="Remove the saved keys", required=False)
