from django import forms
from django.conf import settings

from practice.phones import to_e164
from practice.timezones import time_zone_choices
from sessions_app.models import Contact, InviteMethod


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
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)

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
