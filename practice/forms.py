from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from practice import phones, selectors, throttle
from practice.availability_forms import QuestionFormSet
from practice.models import Service, User

LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_MAX_PER_ACCOUNT = 5  # wrong passwords for one e-mail, from any address
LOGIN_MAX_PER_ADDRESS = 20  # wrong passwords from one address, for any e-mail
LOGIN_THROTTLED = "Too many tries. Wait 15 minutes and try again."


def login_throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    """(counter key, limit) of a login try: the account and the address."""
    return throttle.person_keys("login", email, address, per_account=LOGIN_MAX_PER_ACCOUNT, per_address=LOGIN_MAX_PER_ADDRESS)


class LoginForm(AuthenticationForm):
    """The e-mail login, throttled per account and per address: past either limit every try gets
    the same answer, the right password included, until the window (15 minutes from the first
    wrong try) has passed; a right password takes back only its own try."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account. Check them and try again.",
        "throttled": LOGIN_THROTTLED,
    }
    username = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()
        address = throttle.client_address(self.request) if self.request is not None else ""
        keys = login_throttle_keys(email, address)
        throttled = ValidationError(self.error_messages["throttled"], code="throttled")
        if any(throttle.over(key, limit) for key, limit in keys):
            raise throttled
        if not all([throttle.hit(key, limit, LOGIN_WINDOW_SECONDS) for key, limit in keys]):
            raise throttled  # a concurrent try took the last one
        cleaned = super().clean()  # raises invalid_login: the try stays counted
        for key, _limit in keys:
            throttle.undo(key)
        return cleaned


class PracticeScopedModelForm(forms.ModelForm):
    """A ModelForm for a row of one practice; checks names unique within it."""

    unique_in_practice = ("name",)

    def __init__(self, *args, practice, **kwargs):
        self.practice = practice
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        for field in self.unique_in_practice:
            value = cleaned.get(field)
            if not value:
                continue
            clash = self._meta.model.objects.filter(practice=self.practice, **{f"{field}__iexact": value})
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(field, f"This practice already has one named “{value}”.")
        return cleaned

    def save(self, commit=True):
        self.instance.practice = self.practice
        return super().save(commit)


NOT_A_PRACTITIONER = "Choose only practitioners of this practice."


def check_online_booking(form, cleaned):
    """A service bookable online is active and offered by at least one practitioner (the portal
    would list it with nobody to book). Shared by the settings page and Django admin."""
    if not cleaned.get("bookable_online"):
        return
    if "is_active" in cleaned and not cleaned["is_active"]:
        form.add_error("bookable_online", "An inactive service cannot be booked online: make it active, or untick "
                                          "“Bookable online”.")
    if "practitioners" in cleaned and not cleaned["practitioners"]:
        form.add_error("practitioners", "A service bookable online needs at least one practitioner who offers it.")


STRIPE_NEEDED = "Payment at booking needs Stripe: set it up in Settings"


def check_payment_at_booking(form, cleaned):
    """A deposit has an amount above 0 and not above the price; full price needs a price."""
    how, price, deposit = cleaned.get("payment_at_booking"), cleaned.get("price"), cleaned.get("deposit_amount")
    if how == "deposit" and "deposit_amount" not in form.errors:
        if not deposit:
            form.add_error("deposit_amount", "Enter the deposit a client pays when booking (more than 0).")
        elif price is not None and deposit > price:
            form.add_error("deposit_amount", f"A deposit cannot be more than the price ({price}).")
    elif how == "full" and price is not None and price <= 0:
        form.add_error("payment_at_booking", "This service has no price to pay at booking: set a price, or choose None.")


class ServiceForm(PracticeScopedModelForm):
    """A service, who offers it online, and (``questions``) its Booking Page Form, saved together.

    A post without the questions' management form (an older page, a script) leaves the questions
    as they are.
    """

    practitioners = forms.ModelMultipleChoiceField(
        label="Offered by", queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The practitioners clients may book this service with in the portal.",
        error_messages={"invalid_choice": NOT_A_PRACTITIONER, "invalid_pk_value": NOT_A_PRACTITIONER})

    class Meta:
        model = Service
        fields = [
            "cpt_code", "name", "price", "duration_minutes", "in_person", "video", "phone",
            "bookable_online", "payment_at_booking", "deposit_amount", "practitioners", "wage_kind", "wage_amount", "is_active",
        ]
        widgets = {"price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
                   "deposit_amount": forms.NumberInput(attrs={"step": "0.01", "min": "0.01"})}
        labels = {"deposit_amount": "Deposit"}
        help_texts = {"deposit_amount": "What a client pays when booking, when “Deposit” is chosen above."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioners"].queryset = selectors.practitioners(self.practice)
        prefix = QuestionFormSet.get_default_prefix()
        posted = self.data if self.is_bound else None
        self.questions = None
        if posted is None or f"{prefix}-TOTAL_FORMS" in posted:
            self.questions = QuestionFormSet(posted, instance=self.instance, prefix=prefix)
        # An older page (or a script) that does not send it leaves the setting as it is.
        self.fields["payment_at_booking"].required = False
        self.fields["deposit_amount"].validators = [MinValueValidator(Decimal("0.01"), "A deposit must be more than 0.")]
        if not self.practice.stripe_ready:
            self.fields["payment_at_booking"].help_text += f" {STRIPE_NEEDED}."
        wanted = (self.data.get("payment_at_booking") if self.is_bound else None) or self.instance.payment_at_booking
        # Shown on the page: without Stripe, clients book such a service without paying.
        self.stripe_warning = STRIPE_NEEDED if wanted in ("full", "deposit") and not self.practice.stripe_ready else ""

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_payment_at_booking(self):
        return self.cleaned_data.get("payment_at_booking") or self.instance.payment_at_booking or "none"

    def clean_deposit_amount(self):
        if "deposit_amount" not in self.data:  # not on the page that posted: left as it is
            return self.instance.deposit_amount
        return self.cleaned_data.get("deposit_amount")

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("in_person", "video", "phone")):
            self.add_error("in_person", "Choose at least one delivery method.")
        if cleaned.get("wage_kind") == "percent" and (cleaned.get("wage_amount") or 0) > 100:
            self.add_error("wage_amount", "A percentage wage cannot be more than 100.")
        check_online_booking(self, cleaned)
        check_payment_at_booking(self, cleaned)
        return cleaned

    def is_valid(self):
        valid = super().is_valid()
        return (self.questions is None or self.questions.is_valid()) and valid

    def save(self, commit=True):
        service = super().save(commit)
        if commit and self.questions is not None:
            self.questions.instance = service
            self.questions.save()
        return service


class TextSettingsForm(forms.Form):
    """A practice's own Twilio account for text messages. The auth token is never shown back:
    empty keeps the saved one."""

    twilio_account_sid = forms.RegexField(
        label="Account SID", regex=r"^(AC[0-9a-fA-F]{32})?$", required=False,
        error_messages={"invalid": "An Account SID is AC followed by 32 hexadecimal digits."})
    twilio_auth_token = forms.RegexField(
        label="Auth token", regex=r"^([0-9a-fA-F]{32})?$", required=False, widget=forms.PasswordInput(render_value=False),
        error_messages={"invalid": "An auth token is 32 hexadecimal digits."}, help_text="Leave empty to keep the saved token.")
    twilio_from_number = forms.CharField(label="Sender number", required=False, max_length=32,
                                         help_text="The Twilio number texts come from, e.g. +1 212 555 0142.")
    clear_credentials = forms.BooleanField(label="Remove the saved credentials", required=False)

    def __init__(self, *args, practice, **kwargs):
        self.practice = practice
        super().__init__(*args, **kwargs)

    def clean_twilio_from_number(self):
        return phones.to_e164(self.cleaned_data["twilio_from_number"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_credentials") or self.errors:
            return cleaned
        token = cleaned.get("twilio_auth_token") or self.practice.twilio_auth_token
        parts = [cleaned.get("twilio_account_sid"), token, cleaned.get("twilio_from_number")]
        if any(parts) and not all(parts):
            raise ValidationError("Enter all three (Account SID, auth token and sender number), or none to use the "
                                  "server's Twilio account.")
        return cleaned
