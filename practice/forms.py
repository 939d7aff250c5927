from django import forms
from django.contrib.auth.forms import AuthenticationForm

from practice.models import Service


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account. Check them and try again.",
    }
    username = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))


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


class ServiceForm(PracticeScopedModelForm):
    class Meta:
        model = Service
        fields = [
            "cpt_code", "name", "price", "duration_minutes", "in_person", "video", "phone",
            "bookable_online", "wage_kind", "wage_amount", "is_active",
        ]
        widgets = {"price": forms.NumberInput(attrs={"step": "0.01", "min": "0"})}

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("in_person", "video", "phone")):
            self.add_error("in_person", "Choose at least one delivery method.")
        if cleaned.get("wage_kind") == "percent" and (cleaned.get("wage_amount") or 0) > 100:
            self.add_error("wage_amount", "A percentage wage cannot be more than 100.")
        return cleaned
