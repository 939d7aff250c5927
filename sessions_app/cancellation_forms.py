"""The cancellation tool's form: the dates and filters (which drive the live list), the action,
the message and the optional closure. Choices are limited to the request's practice; a
practitioner's practitioner field is fixed to themselves."""
from django import forms

from practice.models import Role, Room, User
from practice.periods import DateRangeMixin
from practice.selectors import practitioners
from sessions_app.cancellation import MAX_DAYS, NOTIFYING, Action

FILTER_FIELDS = ("first_day", "last_day", "practitioner", "room")
MESSAGE_MAX = 1000


class CancellationForm(DateRangeMixin, forms.Form):
    range_fields = ("first_day", "last_day")
    inverted_message = "The last date is before the first date. Choose a later date, or leave it empty for a single date."

    first_day = forms.DateField(
        label="First date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Choose the first date.", "invalid": "Enter a date like 2030-03-12."},
    )
    last_day = forms.DateField(
        label="Last date", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty for a single date.", error_messages={"invalid": "Enter a date like 2030-03-12."},
    )
    action = forms.ChoiceField(
        label="What to do", choices=Action.choices, initial=Action.NOTIFY_AND_CANCEL, widget=forms.RadioSelect,
        error_messages={"required": "Choose what to do.", "invalid_choice": "Choose one of the three options."},
    )
    message = forms.CharField(
        label="Message to your clients", required=False, max_length=MESSAGE_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": (
            "For example: the office is closed because of the snow storm; we will call you to find a new time.")}),
        help_text="Sent by e-mail or text to each participant who gets invitations. Text messages carry the first 160 characters.",
        error_messages={"max_length": "Keep the message to %(limit_value)d characters or fewer (it has %(show_value)d)."},
    )
    add_closure = forms.BooleanField(label="Also add a closure for these dates", required=False)
    closure_title = forms.CharField(
        label="Closure title", required=False, max_length=120, strip=True,
        widget=forms.TextInput(attrs={"placeholder": "For example: Snow day"}),
        help_text="Every calendar shows it, clients' included.",
        error_messages={"max_length": "Keep the title to %(limit_value)d characters or fewer."},
    )

    def __init__(self, data=None, *, practice, membership, **kwargs):
        super().__init__(data, **kwargs)
        self.practice = practice
        self.membership = membership
        if membership.role == Role.PRACTITIONER:
            # Fixed to themselves: a disabled field ignores whatever is posted.
            self.fields["practitioner"] = forms.ModelChoiceField(
                label="Practitioner", queryset=User.objects.filter(pk=membership.user_id), disabled=True,
                initial=membership.user_id, empty_label=None, required=False,
                help_text="You can cancel your own sessions.",
            )
        else:
            self.fields["practitioner"] = forms.ModelChoiceField(
                label="Practitioner", required=False, queryset=practitioners(practice), empty_label="All practitioners",
                error_messages={"invalid_choice": "Choose a practitioner from the list."},
            )
        self.fields["room"] = forms.ModelChoiceField(
            label="Room", required=False, queryset=Room.objects.filter(practice=practice).order_by("name"),
            empty_label="All rooms", error_messages={"invalid_choice": "Choose a room from the list."},
        )
        self.order_fields(["first_day", "last_day", "practitioner", "room", "action", "message", "add_closure", "closure_title"])

    def clean(self):
        cleaned = super().clean()  # the date range rule (years, order): practice.periods.DateRangeMixin
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and (last - first).days + 1 > MAX_DAYS:
            self.add_error("last_day", f"Choose at most {MAX_DAYS} days at a time.")
        if cleaned.get("action") in NOTIFYING and not cleaned.get("message"):
            self.add_error("message", "Write the message to send, or choose “Cancel but do not notify”.")
        if cleaned.get("add_closure") and not cleaned.get("closure_title"):
            self.add_error("closure_title", "Give the closure a title, like “Snow day”.")
        return cleaned

    @property
    def filters_valid(self) -> bool:
        """Whether the fields that choose the sessions are valid (the live list needs only these)."""
        self.is_valid()
        return not any(name in self.errors for name in FILTER_FIELDS)

    def filters(self) -> dict:
        c = self.cleaned_data
        return {"first_day": c["first_day"], "last_day": c.get("last_day") or c["first_day"],
                "practitioner": c.get("practitioner"), "room": c.get("room")}

    @property
    def notifies(self) -> bool:
        """Whether the chosen action sends messages (what the live list says about each participant)."""
        return self["action"].value() in NOTIFYING

    def apply_arguments(self) -> dict:
        c = self.cleaned_data
        return {**self.filters(), "action": c["action"], "message": c.get("message", ""),
                "closure_title": c["closure_title"] if c.get("add_closure") else ""}
