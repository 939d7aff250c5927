from datetime import time

from django import forms
from django.conf import settings

from notifications import channels
from practice.errors import DomainError
from practice.models import DeliveryMethod, Room, Service, User
from practice.periods import DateRangeMixin
from practice.phones import to_e164
from practice.selectors import practitioners
from practice.timezones import TimeZoneField, ends_at, wall_time_to_aware
from practice.widgets import FastSelect
from sessions_app import closures, scheduling
from sessions_app.models import Contact, InviteMethod, SeriesPreset, SessionKind


class InviteFieldsMixin:
    """Invite method with the matching address: e-mail for e-mail, a phone for texts."""

    def clean_phone(self):
        return to_e164(self.cleaned_data.get("phone", ""))

    def clean_name(self):
        name = " ".join(self.cleaned_data.get("name", "").split())
        if len(name) < 2:
            raise forms.ValidationError("Enter at least 2 characters: a name or initials.")
        return name

    def clean_invite_fields(self, cleaned):
        method = cleaned.get("invite_method")
        if method == InviteMethod.EMAIL and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter an e-mail address for an e-mail invitation.")
        if method == InviteMethod.TEXT and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Enter a cell phone number for a text message invitation.")
        return cleaned


class ContactForm(InviteFieldsMixin, forms.ModelForm):
    time_zone = TimeZoneField(label="Time zone")

    class Meta:
        model = Contact
        fields = ["name", "invite_method", "email", "phone", "time_zone"]
        labels = {"invite_method": "Preferred invite", "phone": "Cell phone"}
        widgets = {"invite_method": forms.RadioSelect}

    def __init__(self, *args, practice, owner, **kwargs):
        self.practice = practice
        self.owner = owner
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("time_zone", owner.time_zone or settings.DEFAULT_USER_TIME_ZONE)

    def clean(self):
        return self.clean_invite_fields(super().clean())

    def save(self, commit=True):
        self.instance.practice = self.practice
        if not self.instance.pk:
            self.instance.owner = self.owner
        return super().save(commit)


# --- Session form -------------------------------------------------------------

def time_choices(step=5):
    """Times of day every ``step`` minutes, labelled with AM/PM."""
    choices = []
    for minutes in range(0, 24 * 60, step):
        value = time(minutes // 60, minutes % 60)
        label = value.strftime("%I:%M %p").lstrip("0")
        choices.append((value.strftime("%H:%M"), label))
    return choices


TIME_CHOICES = time_choices()


class SessionForm(forms.Form):
    kind = forms.ChoiceField(choices=SessionKind.choices, initial=SessionKind.REGULAR, widget=forms.HiddenInput)
    practitioner = forms.ModelChoiceField(label="Professional", queryset=User.objects.none(), empty_label=None,
                                          widget=FastSelect)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False, empty_label="No room", widget=FastSelect)
    delivery_method = forms.ChoiceField(label="Delivery", choices=DeliveryMethod.choices, widget=FastSelect)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.ChoiceField(label="Time", choices=TIME_CHOICES, widget=FastSelect)
    time_zone = TimeZoneField(label="Time zone")
    duration_minutes = forms.IntegerField(label="Length (min)", min_value=5, max_value=720, initial=50)
    public_note = forms.CharField(
        label="Public note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="All participants see this note.",
    )
    private_note = forms.CharField(
        label="Private note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only the practice team sees this note.",
    )
    confirm_closure = forms.BooleanField(label="Schedule on a closed day anyway", required=False)

    def __init__(self, *args, request, session=None, **kwargs):
        self.request = request
        self.session = session
        super().__init__(*args, **kwargs)
        practice = request.practice
        hosts = practitioners(practice)
        if not request.membership.is_office:
            hosts = hosts.filter(pk=request.user.pk)
        self.fields["practitioner"].queryset = hosts
        self.fields["room"].queryset = Room.objects.filter(practice=practice, is_active=True)

    def clean_start_time(self):
        return time.fromisoformat(self.cleaned_data["start_time"])

    def clean(self):
        cleaned = super().clean()
        day, start_time, zone = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("time_zone")
        length = cleaned.get("duration_minutes")
        if day and start_time and zone and length:
            start = wall_time_to_aware(day, start_time, zone)
            cleaned["start"] = start
            # An edit that keeps the time is not asked again about the past or a closure.
            if self.session is None or start != self.session.start:
                self._check_slot(start, ends_at(start, length), cleaned.get("confirm_closure"))
        room = cleaned.get("room")
        if room and room.is_in_person and cleaned.get("delivery_method") == DeliveryMethod.VIDEO:
            self.add_error("room", "A video session needs a virtual room, or no room.")
        return cleaned

    def _check_slot(self, start, end, confirmed):
        try:
            scheduling.check_slot(practice=self.request.practice, start=start, end=end, allow_closure=confirmed)
        except scheduling.SlotOnClosure as error:
            self.add_error("confirm_closure", f"{error.message} Tick the box to schedule it anyway.")
        except scheduling.SlotLength as error:
            self.add_error("duration_minutes", error.message)
        except DomainError as error:
            self.add_error("day", error.message)


class ServiceLineForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label="Choose a service", widget=FastSelect)
    price = forms.DecimalField(
        label="Service price", max_digits=10, decimal_places=2, min_value=0, required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(practice=practice, is_active=True)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("service") and cleaned.get("price") is None and "price" not in self.errors:
            cleaned["price"] = cleaned["service"].price
        return cleaned


class ParticipantForm(InviteFieldsMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="Participant Name or Initials", max_length=120)
    invite_method = forms.ChoiceField(
        label="Session Invite and Reminders", choices=InviteMethod.choices, initial=InviteMethod.EMAIL,
    )
    email = forms.EmailField(label="E-mail", required=False, max_length=254)  # the column holds 254
    phone = forms.CharField(label="Cell phone", required=False, max_length=32)
    time_zone = TimeZoneField(label="Participant Time Zone")
    save_contact = forms.BooleanField(label="Save to my contacts", required=False)
    is_client = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)
    require_payment = forms.BooleanField(label="Require payment", required=False)
    payment_service = forms.ModelChoiceField(label="Service", queryset=Service.objects.none(), required=False,
                                             empty_label="Choose an Account Service", widget=FastSelect)
    payment_amount = forms.DecimalField(label="Payment Required ($)", max_digits=10, decimal_places=2, required=False,
                                        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}))
    document_package = forms.ChoiceField(
        label="Show Participant Documents", required=False, choices=[("", "No documents")], widget=FastSelect,
        help_text="The package of electronic clinical documents appropriate for this consultation.",
        error_messages={"invalid_choice": "Choose one of this practice's document packages."})

    def __init__(self, *args, contacts, payment_services=None, practice=None, document_packages=None, **kwargs):
        self.contacts = contacts
        self.practice = practice  # whose Twilio account texts would go out through
        super().__init__(*args, **kwargs)
        self.payments_enabled = payment_services is not None
        if self.payments_enabled:
            self.fields["payment_service"].queryset = payment_services
        # The practice's active packages (a list read once for all rows): another practice's id is
        # "not one of the choices". Without the list the field is left out and documents stay as they are.
        self.packages = {str(p.pk): p for p in document_packages or ()}
        self.documents_enabled = document_packages is not None
        if self.documents_enabled:
            self.fields["document_package"].choices = [("", "No documents")] + [
                (key, p.name) for key, p in self.packages.items()]
        else:
            del self.fields["document_package"]

    def clean_document_package(self):
        return self.packages.get(self.cleaned_data.get("document_package") or "")

    def clean_contact(self):
        contact_id = self.cleaned_data.get("contact")
        if not contact_id:
            return None
        contact = self.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise forms.ValidationError("That contact is not one of yours.")
        return contact

    def clean(self):
        cleaned = self.clean_invite_fields(super().clean())
        if cleaned.get("require_payment"):
            if not self.payments_enabled:
                self.add_error("require_payment", "Payments are not set up for this practice.")
            elif not cleaned.get("payment_service") and "payment_service" not in self.errors:
                self.add_error("payment_service", "Choose the service the payment is for.")
            elif cleaned.get("payment_amount") is None and "payment_amount" not in self.errors:
                cleaned["payment_amount"] = cleaned["payment_service"].price
            if cleaned.get("payment_amount") is not None and cleaned["payment_amount"] <= 0:
                self.add_error("payment_amount", "The payment must be more than 0.")
        else:
            cleaned["payment_service"], cleaned["payment_amount"] = None, None
        if cleaned.get("invite_method") == InviteMethod.TEXT and not channels.sms_configured(self.practice):
            self.add_error("invite_method", "Text messages are not set up for this practice yet. Choose an e-mail "
                                            "invitation, or “System should not send invite”.")
        return cleaned


class BaseRowFormSet(forms.BaseFormSet):
    """A formset whose forms take the same keyword arguments."""

    def __init__(self, *args, form_kwargs=None, **kwargs):
        super().__init__(*args, form_kwargs=form_kwargs, **kwargs)

    def rows(self):
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class BaseServiceFormSet(BaseRowFormSet):
    """The session's services: at least one for a session with a client, unless it is an Orientation
    Session (``scheduling.needs_service``; the domain functions refuse the same).

    ``session_form`` and ``participants`` are the page's other forms, read for the session's kind
    and whether anyone is a client.
    """

    def __init__(self, *args, session_form=None, participants=None, **kwargs):
        self.session_form = session_form
        self.participants = participants
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        if any(self.errors) or self.session_form is None or self.participants is None:
            return
        if any(row.get("service") for row in self.rows()):
            return
        if scheduling.needs_service(kind=self._kind(), has_client=self._has_client()):
            raise forms.ValidationError(scheduling.SERVICE_REQUIRED, code="service_required")

    def _kind(self):
        if self.session_form.session is not None:
            return self.session_form.session.kind
        self.session_form.errors  # noqa: B018 - cleans the form
        return self.session_form.cleaned_data.get("kind") or SessionKind.REGULAR

    def _has_client(self):
        self.participants.errors  # noqa: B018 - cleans the formset
        rows = [getattr(f, "cleaned_data", None) or {} for f in self.participants.forms]
        return any(row.get("is_client") and not row.get("DELETE") for row in rows if row)


ServiceFormSet = forms.formset_factory(ServiceLineForm, formset=BaseServiceFormSet, extra=0, can_delete=True, max_num=10,
                                       validate_max=True)
ParticipantFormSet = forms.formset_factory(
    ParticipantForm, formset=BaseRowFormSet, extra=0, min_num=1, validate_min=True, can_delete=True, max_num=50, validate_max=True,
)


# --- Recurrence -----------------------------------------------------------------

WEEKDAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class RepeatForm(forms.Form):
    """The optional recurrence on the session form."""

    preset = forms.ChoiceField(
        label="Recurrence Schedule", required=False,
        choices=[("", "Does not repeat")] + [(v, label) for v, label in SeriesPreset.choices], widget=FastSelect,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days", required=False, coerce=int, choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple,
    )
    frequency = forms.ChoiceField(
        label="Recurrence type", choices=[("weekly", "Weekly"), ("monthly", "Monthly")], initial="weekly", required=False,
        widget=FastSelect,
    )
    interval = forms.IntegerField(label="Every", min_value=1, max_value=12, initial=1, required=False, help_text="weeks or months")
    count = forms.IntegerField(label="Number of sessions", required=False, min_value=2, max_value=520,
                               help_text="Including the first session.")
    until = forms.DateField(label="Last date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    never_ends = forms.BooleanField(label="Never Ends", required=False)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True,
                                 help_text="A schedule that is not enabled is saved but not applied.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("preset"):
            return cleaned
        count, until, never = cleaned.get("count"), cleaned.get("until"), cleaned.get("never_ends")
        if count and until:
            raise forms.ValidationError("Fill in the number of sessions or the last date, not both.")
        if never and (count or until):
            raise forms.ValidationError("A schedule that never ends has no number of sessions or last date.")
        if not (count or until or never) and "count" not in self.errors:
            raise forms.ValidationError("Fill in the number of sessions or the last date, or choose Never Ends.")
        if cleaned.get("preset") == SeriesPreset.CUSTOM and not cleaned.get("weekdays"):
            self.add_error("weekdays", "Choose at least one day.")
        return cleaned

    def check_against(self, first_day):
        """Checks that need the session's first day."""
        until = self.cleaned_data.get("until")
        if until and until <= first_day:
            self.add_error("until", "The last date must be after the first session.")
        return not self.errors

    def repeat(self):
        c = self.cleaned_data
        if not c.get("preset"):
            return None
        return {
            "preset": c["preset"], "weekdays": c.get("weekdays") or [], "frequency": c.get("frequency") or "weekly",
            "interval": c.get("interval") or 1, "count": c.get("count"), "until": c.get("until"),
            "enabled": c.get("enabled", False),
        }


class SeriesScopeForm(forms.Form):
    scope = forms.ChoiceField(
        label="Apply to", initial="this", widget=forms.RadioSelect, required=False,
        choices=[("this", "This session"), ("following", "This and following sessions"), ("all", "All sessions in the series")],
    )

    def clean_scope(self):
        return self.cleaned_data.get("scope") or "this"


class ClosureForm(DateRangeMixin, forms.Form):
    """A closure's days: sane years and the last not before the first (DateRangeMixin, the words of
    ``closures.check_dates``, which add_closure applies too), at most a year long."""

    range_fields = ("start_date", "end_date")
    inverted_message = closures.INVERTED
    out_of_range_message = closures.OUT_OF_RANGE

    title = forms.CharField(max_length=120)
    start_date = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Last day", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Leave empty for a single day.")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and not end and "end_date" not in self.errors:
            cleaned["end_date"] = start
        elif start and end and (end - start).days > 366:
            self.add_error("end_date", "A closure can be at most a year long.")
        return cleaned


class JoinForm(forms.Form):
    code = forms.CharField(label="Access Code", max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}))
