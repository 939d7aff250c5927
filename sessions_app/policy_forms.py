"""The cancellation policy settings form (admins): the notice in hours (a field of the practice),
what happens inside it, the completion type a Late Cancel is saved with, whether reschedules follow
the notice, and the policy text. ``policy.save_settings`` re-checks and writes both rows."""
from django import forms

from sessions_app import policy
from sessions_app.models import CompletionType, LateCancelAction, ModifierType

NOTICE_MESSAGE = f"Enter a whole number of hours from 0 to {policy.MAX_NOTICE_HOURS}."
TYPE_REQUIRED = "Choose the completion type a Late Cancel is saved with."
TYPE_INVALID = "Choose one of the completion types listed."


class LateCancelTypeField(forms.ModelChoiceField):
    currency = ""

    def label_from_instance(self, kind):
        if kind.modifier_type == ModifierType.FIXED:
            return f"{kind.label} ({kind.client_modifier} {self.currency})"
        return f"{kind.label} ({kind.client_modifier}% of the fee)"


class CancellationPolicyForm(forms.Form):
    cancellation_notice_hours = forms.IntegerField(
        label="Cancellation notice (hours)", min_value=0, max_value=policy.MAX_NOTICE_HOURS,
        help_text="Counted in hours before the session’s start; 0 lets clients cancel and reschedule until it starts.",
        error_messages={"min_value": NOTICE_MESSAGE, "max_value": NOTICE_MESSAGE, "invalid": NOTICE_MESSAGE,
                        "required": NOTICE_MESSAGE},
        widget=forms.NumberInput(attrs={"min": 0, "max": policy.MAX_NOTICE_HOURS, "step": 1, "inputmode": "numeric"}),
    )
    inside_window = forms.ChoiceField(
        label="Inside the notice", choices=LateCancelAction.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens inside the notice.",
                        "invalid_choice": "Choose what happens inside the notice."},
    )
    late_cancel_type = LateCancelTypeField(
        label="Save a late cancel as", queryset=CompletionType.objects.none(), required=False, empty_label="—",
        help_text="Its charge goes to the client’s account like any saved session. The list shows the enabled "
                  "completion types that map to Canceled.",
        error_messages={"invalid_choice": TYPE_INVALID, "invalid_pk_value": TYPE_INVALID},
    )
    reschedule_follows_window = forms.BooleanField(
        label="Reschedules follow the same notice", required=False,
        help_text="Inside the notice, clients cannot reschedule here either.")
    note = forms.CharField(
        label="Policy text", required=False, max_length=policy.MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to clients after the rule, e.g. why the notice matters.",
        error_messages={"max_length": f"Keep the policy text under {policy.MAX_NOTE + 1} characters."},
    )

    def __init__(self, data=None, *, practice):
        saved = policy.policy_of(practice, fresh=True)
        super().__init__(data, initial={
            "cancellation_notice_hours": practice.cancellation_notice_hours, "inside_window": saved.inside_window,
            "late_cancel_type": saved.late_cancel_type_id, "reschedule_follows_window": saved.reschedule_follows_window,
            "note": saved.note,
        })
        self.practice = practice
        self.fields["late_cancel_type"].queryset = policy.late_cancel_types(practice)
        self.fields["late_cancel_type"].currency = practice.currency

    def clean_note(self):
        return self.cleaned_data["note"].strip()

    def clean(self):
        data = super().clean()
        if data.get("inside_window") == LateCancelAction.LATE_CANCEL and not data.get("late_cancel_type") \
                and "late_cancel_type" not in self.errors:
            self.add_error("late_cancel_type", TYPE_REQUIRED)
        return data
