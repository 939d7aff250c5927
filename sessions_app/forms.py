import zoneinfo
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from django import forms
from django.conf import settings
from django.utils import timezone

from practice.models import DeliveryMethod, Role, Room, Service, User

from practice.phones import to_e164
from practice.timezones import TimeZoneField
from sessions_app.models import Contact, InviteMethod, SessionKind


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

# How far in the past a new session may start: "New Session Now" is filled in a
# minute or two before it is saved.
PAST_GRACE = timedelta(minutes=15)


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
    practitioner = forms.ModelChoiceField(label="Professional", queryset=User.objects.none(), empty_label=None)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False, empty_label="No room")
    delivery_method = forms.ChoiceField(label="Delivery", choices=DeliveryMethod.choices)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.ChoiceField(label="Time", choices=TIME_CHOICES)
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

    def __init__(self, *args, request, session=None, **kwargs):
        self.request = request
        self.session = session
        super().__init__(*args, **kwargs)
        practice = request.practice
        practitioners = User.objects.filter(
            memberships__practice=practice, memberships__is_active=True,
            memberships__role__in=(Role.PRACTITIONER, Role.ADMIN),
        ).order_by("first_name", "last_name")
        if not request.membership.is_office:
            practitioners = practitioners.filter(pk=request.user.pk)
        self.fields["practitioner"].queryset = practitioners
        self.fields["room"].queryset = Room.objects.filter(practice=practice, is_active=True)

    def clean_start_time(self):
        return time.fromisoformat(self.cleaned_data["start_time"])

    def clean(self):
        cleaned = super().clean()
        day, start_time, zone = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("time_zone")
        if day and start_time and zone:
            start = wall_time_to_aware(day, start_time, zone)
            cleaned["start"] = start
            moved = self.session is None or start != self.session.start
            if moved and start < timezone.now() - PAST_GRACE:
                self.add_error("day", "That time has already passed. Choose a time from now on.")
        room = cleaned.get("room")
        if room and room.is_in_person and cleaned.get("delivery_method") == DeliveryMethod.VIDEO:
            self.add_error("room", "A video session needs a virtual room, or no room.")
        return cleaned


def wall_time_to_aware(day, wall_time, zone_name):
    """The aware datetime of a wall-clock time in a zone.

    A time that does not exist (skipped by a daylight-saving change) moves
    forward by the gap; a time that happens twice takes its first occurrence.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    # fold=0 reads a skipped time with the offset before the change, which lands
    # it the gap's length later once normalised through UTC (02:30 -> 03:30).
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(dt_timezone.utc).astimezone(zone)


class ServiceLineForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label="Choose a service")
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
    email = forms.EmailField(label="E-mail", required=False)
    phone = forms.CharField(label="Cell phone", required=False, max_length=32)
    time_zone = TimeZoneField(label="Participant Time Zone")
    save_contact = forms.BooleanField(label="Save to my contacts", required=False)
    is_client = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)

    def __init__(self, *args, contacts, **kwargs):
        self.contacts = contacts
        super().__init__(*args, **kwargs)

    def clean_contact(self):
        contact_id = self.cleaned_data.get("contact")
        if not contact_id:
            return None
        contact = self.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise forms.ValidationError("That contact is not one of yours.")
        return contact

    def clean(self):
        return self.clean_invite_fields(super().clean())


class BaseRowFormSet(forms.BaseFormSet):
    """A formset whose forms take the same keyword arguments."""

    def __init__(self, *args, form_kwargs=None, **kwargs):
        super().__init__(*args, form_kwargs=form_kwargs, **kwargs)

    def rows(self):
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


ServiceFormSet = forms.formset_factory(ServiceLineForm, formset=BaseRowFormSet, extra=0, can_delete=True, max_num=10, validate_max=True)
ParticipantFormSet = forms.formset_factory(
    ParticipantForm, formset=BaseRowFormSet, extra=0, min_num=1, validate_min=True, can_delete=True, max_num=50, validate_max=True,
)
