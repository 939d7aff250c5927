"""Forms for packages: a product (the settings page and Django admin share its checks) and the
choice of product and payment on a client's account page."""
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from billing import ledger, packages
from billing.models import PackageProduct
from practice.forms import PracticeScopedModelForm
from practice.models import Service

NOT_OURS = "Choose only services of this practice."
MAX_SESSIONS = 500
MAX_DAYS = 3650


BOUNDS = {"session_count": (1, MAX_SESSIONS), "validity_days": (1, MAX_DAYS), "weekly_limit": (1, MAX_SESSIONS)}
FIELDS = ["name", "services", "session_count", "price", "validity_days", "weekly_limit", "is_active"]
ERRORS = {
    "name": {"required": "Enter a name for the package."},
    "services": {"required": "Choose at least one service.", "invalid_choice": NOT_OURS, "invalid_pk_value": NOT_OURS},
    "session_count": {"required": "Enter the number of sessions.", "invalid": "Enter a whole number of sessions.",
                      "min_value": "A package has at least one session.",
                      "max_value": f"A package has at most {MAX_SESSIONS} sessions."},
    "price": {"required": "Enter the price (0 for a free package).", "invalid": "Enter the price as a number, like 450.00.",
              "max_digits": "That price is too large.", "max_whole_digits": "That price is too large."},
    "validity_days": {"required": "Enter how many days the package is valid for.", "invalid": "Enter a whole number of days.",
                      "min_value": "A package is valid for at least one day.",
                      "max_value": f"A package is valid for at most {MAX_DAYS} days."},
    "weekly_limit": {"invalid": "Enter a whole number, or leave it empty.",
                     "min_value": "Leave the limit empty for no limit, or enter 1 or more.",
                     "max_value": f"Enter at most {MAX_SESSIONS}, or leave it empty."},
}


class ProductChecks:
    """The plain-words checks of a product, whichever form shows it; call ``set_up(currency)`` in __init__."""

    def set_up(self, currency):
        for name, (low, high) in BOUNDS.items():
            field = self.fields[name]
            field.validators = [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)
        places = ledger.MINOR_UNITS.get(currency.upper(), 2)
        self.fields["price"].widget.attrs.update(min=0, step=str(Decimal(1).scaleb(-places)))

    def _currency(self):
        practice = (getattr(self, "practice", None) or self.cleaned_data.get("practice")
                    or (self.instance.practice if self.instance.practice_id else None))
        return practice.currency if practice else "USD"

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is None:
            return price
        if price < 0:
            raise forms.ValidationError("The price cannot be negative.")
        currency = self._currency()
        if ledger.money(price, currency) != price:
            places = ledger.MINOR_UNITS.get(currency.upper(), 2)
            raise forms.ValidationError(f"Enter the price in {currency} with at most {places} decimals.")
        return price


class PackageProductForm(ProductChecks, PracticeScopedModelForm):
    """A product on the Packages page: services among the practice's own; a unique name."""

    class Meta:
        model = PackageProduct
        fields = FIELDS
        widgets = {"services": forms.CheckboxSelectMultiple}
        error_messages = ERRORS
        labels = {"is_active": "Active"}
        help_texts = {"is_active": "Only active packages can be assigned. Clients keep the packages they have."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(practice=self.practice).order_by("cpt_code", "name")
        self.fields["services"].help_text = "The services a session from this package can be booked for."
        self.fields["price"].help_text = (f"In {self.practice.currency}. A change applies to packages assigned from now on; "
                                          "clients keep the terms they got.")
        self.set_up(self.practice.currency)


class PackageProductAdminForm(ProductChecks, forms.ModelForm):
    """The same checks in Django admin; the services and the name are checked against the row's practice."""

    class Meta:
        model = PackageProduct
        fields = ["practice", *FIELDS]
        widgets = {"services": forms.CheckboxSelectMultiple}
        error_messages = ERRORS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_up(self.instance.practice.currency if self.instance.practice_id else "USD")

    def clean(self):
        cleaned = super().clean()
        practice = cleaned.get("practice") or (self.instance.practice if self.instance.practice_id else None)
        services = cleaned.get("services")
        if practice is not None and services and any(service.practice_id != practice.pk for service in services):
            self.add_error("services", NOT_OURS)
        name = cleaned.get("name")
        if practice is not None and name:
            clash = PackageProduct.objects.filter(practice=practice, name__iexact=name).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"This practice already has one named “{name}”.")
        return cleaned


class AssignPackageForm(forms.Form):
    """On a client's account page: which package, and how it is paid."""

    product = forms.ModelChoiceField(
        label="Package", queryset=PackageProduct.objects.none(), empty_label="Choose a package",
        error_messages={"required": "Choose a package.", "invalid_choice": "Choose one of the packages listed."})
    how = forms.ChoiceField(
        label="Payment", choices=packages.HOW_CHOICES, widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=packages.OUTSIDE,
        error_messages={"required": "Choose how the package is paid.", "invalid_choice": "Choose how the package is paid."})

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.fields["product"].queryset = packages.offered_products(practice)
        self.fields["product"].label_from_instance = lambda p: f"{p.name} · {p.session_count} sessions · {p.price} {practice.currency}"
        if not practice.stripe_ready:
            self.fields["how"].choices = [c for c in packages.HOW_CHOICES if c[0] != packages.STRIPE]
