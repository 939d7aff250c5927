"""Forms for saving sessions: the Save page (one outcome per client), the calendar pop-up and bulk save.

The options always come from ``completion.options(practice, membership)``; these
forms only present them and turn a valid POST into ``completion.Outcome`` objects.
"""
from dataclasses import dataclass

from django import forms

from sessions_app import completion, money
from sessions_app.models import CompletionType

OVERRIDE_DESCRIPTION = "You decide what cost and wages are applied (admin or staff with the over-ride permission)."
MAX_AMOUNT_DIGITS = 10


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    description: str = ""

    @property
    def is_override(self) -> bool:
        return self.value == completion.OVERRIDE


def option_list(practice, membership) -> list[Option]:
    """``completion.options`` with each type's description: two queries, once per request."""
    choices = completion.options(practice, membership)
    descriptions = dict(
        CompletionType.objects.filter(practice=practice, enabled=True).values_list("pk", "description")
    )
    return [
        Option(value, label, OVERRIDE_DESCRIPTION if value == completion.OVERRIDE else descriptions.get(int(value), ""))
        for value, label in choices
    ]


def without_override(options: list[Option]) -> list[Option]:
    """Bulk save and the pop-up offer no over-ride: its amounts differ per session."""
    return [option for option in options if not option.is_override]


def bulk_choices(practice, membership) -> list[tuple[str, str]]:
    """The options of the bulk bar above the lists: ``completion.options`` without the over-ride (one query)."""
    return [(value, label) for value, label in completion.options(practice, membership) if value != completion.OVERRIDE]


def _amount_field(label, currency):
    places = money.decimal_places(currency)
    step = "1" if places == 0 else "0." + "0" * (places - 1) + "1"
    return forms.DecimalField(
        label=f"{label} ({currency})", required=False, min_value=0, max_digits=MAX_AMOUNT_DIGITS, decimal_places=places,
        widget=forms.NumberInput(attrs={"min": "0", "step": step, "inputmode": "decimal"}),
        error_messages={
            "invalid": "Enter an amount as a number, like 80.00.",
            "min_value": "Enter an amount of 0 or more.",
            "max_decimal_places": (f"Enter at most {places} decimal places for {currency}." if places
                                   else f"Enter a whole amount for {currency}."),
            "max_digits": "That amount is too large.",
            "max_whole_digits": "That amount is too large.",
        },
    )


@dataclass
class Row:
    """One client participant on the Save page and the names of its three fields."""

    participant: object
    option: str
    cost: str
    wages: str


class SaveSessionForm(forms.Form):
    """One outcome per client participant; the cost and wages only for the over-ride.

    A one-to-one session uses the field names ``option``, ``cost`` and ``wages``
    (the calendar pop-up posts those); a group uses ``option-<participant id>`` and so on.
    """

    def __init__(self, data=None, *, practice, session, clients, options: list[Option], **kwargs):
        super().__init__(data, **kwargs)
        self.practice = practice
        self.session = session
        self.options = options
        self.group = len(clients) > 1
        currency = practice.currency
        choices = [("", "Choose an outcome…")] + [(o.value, o.label) for o in options]
        allowed = {o.value for o in options}
        self.rows = []
        for participant in clients:
            suffix = f"-{participant.pk}" if self.group else ""
            row = Row(participant, f"option{suffix}", f"cost{suffix}", f"wages{suffix}")
            self.rows.append(row)
            current = self._current_choice(participant, allowed)
            self.fields[row.option] = forms.ChoiceField(
                label=participant.name if self.group else f"Outcome for {participant.name}", choices=choices,
                required=False, initial=current, help_text=self._now_saved(participant, currency),
                error_messages={"invalid_choice": "Choose one of the options in the list."},
                widget=forms.Select(attrs={"data-outcome": ""}),
            )
            self.fields[row.cost] = _amount_field("Cost", currency)
            self.fields[row.wages] = _amount_field("Wages", currency)
            if current == completion.OVERRIDE:
                self.fields[row.cost].initial = participant.client_amount
                self.fields[row.wages].initial = participant.practitioner_amount

    @staticmethod
    def _now_saved(participant, currency):
        if not participant.completion_label:
            return ""
        return (f"Now saved as {participant.completion_label}: cost {participant.client_amount} {currency}, "
                f"wages {participant.practitioner_amount} {currency}.")

    @staticmethod
    def _current_choice(participant, allowed):
        if participant.modifier_type == completion.OVERRIDE and completion.OVERRIDE in allowed:
            return completion.OVERRIDE
        if participant.completion_type_id and str(participant.completion_type_id) in allowed:
            return str(participant.completion_type_id)
        return ""

    def bound_rows(self):
        """(row, option field, cost field, wages field, chosen value) for the template."""
        for row in self.rows:
            field = self[row.option]
            yield {"row": row, "option": field, "cost": self[row.cost], "wages": self[row.wages],
                   "override": str(field.value() or "") == completion.OVERRIDE}

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            choice = cleaned.get(row.option)
            if row.option in self.errors:
                continue
            if not choice:
                who = f" for {row.participant.name}" if self.group else ""
                self.add_error(row.option, f"Choose an outcome{who}.")
            elif choice == completion.OVERRIDE:
                for name, what in ((row.cost, "cost"), (row.wages, "wages")):
                    if cleaned.get(name) is None and name not in self.errors:
                        self.add_error(name, f"Enter the {what}: an amount of 0 or more.")
        return cleaned

    def outcomes(self) -> dict[int, completion.Outcome]:
        """Participant id → Outcome; raises ``ValidationError`` for an option no longer available."""
        by_choice = {}
        result = {}
        for row in self.rows:
            choice = self.cleaned_data[row.option]
            if choice == completion.OVERRIDE:
                result[row.participant.pk] = completion.outcome_from_choice(
                    self.practice, choice, self.cleaned_data[row.cost], self.cleaned_data[row.wages])
            else:
                if choice not in by_choice:
                    by_choice[choice] = completion.outcome_from_choice(self.practice, choice)
                result[row.participant.pk] = by_choice[choice]
        return result


class BulkSaveForm(forms.Form):
    """The bar above the lists: checked session ids, one option (never the over-ride), where to go back."""

    session = forms.TypedMultipleChoiceField(coerce=int, required=True, error_messages={
        "required": "Check at least one session to save.",
        "invalid_choice": "One of the checked sessions could not be read.",
    })
    option = forms.ChoiceField(error_messages={
        "required": "Choose what to save the checked sessions as.",
        "invalid_choice": "Choose one of the options in the list.",
    })
    next = forms.CharField(required=False)

    def __init__(self, data=None, *, choices: list[tuple[str, str]], **kwargs):
        super().__init__(data, **kwargs)
        self.choices = [(value, label) for value, label in choices if value != completion.OVERRIDE]
        self.fields["option"].choices = [("", "Save as…")] + self.choices
        # Ids are checked against the visible sessions in the view; here they only need to be numbers.
        self.fields["session"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 12

    def label(self) -> str:
        return dict(self.choices).get(self.cleaned_data.get("option"), "")
