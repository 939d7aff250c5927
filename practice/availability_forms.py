"""Forms of the availability settings: a practitioner's week of hours (one formset per weekday,
checked and saved together), days off, the practice's online booking settings, and the questions of
a service's Booking Page Form.

The rules the booking code relies on (a range ends after it starts, ranges of one weekday do not
overlap while their dates do) are also database constraints or re-checked here before anything is
written, so a refused form writes nothing.
"""
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst

from practice.models import BookingQuestion, DayOff, Membership, Practice, QuestionKind, Service, Weekday, WeeklyHours
from practice.questions import BOOKING_KINDS

FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_RANGES_PER_DAY = 12
MAX_QUESTIONS = 30
MAX_OPTIONS = 30
MAX_OPTION_LENGTH = 200


class MarksInvalid:
    """Adds Bootstrap's ``is-invalid`` to the widgets of fields with errors (the hand-laid rows of
    the week and the questions are not rendered by crispy, which would do it)."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def check_year(value, what):
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"{what} must be in the years {FIRST_YEAR} to {LAST_YEAR}.", code="year")
    return value


def time_input():
    return forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 60, "class": "form-control form-control-sm"})


def date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"})


def short(moment):
    return moment.strftime("%H:%M")


# --- Online booking settings --------------------------------------------------------------------

def bounded(name, low, high, unit):
    """An integer field for a booking setting, labelled from the model, with one plain message for
    anything outside ``low``–``high`` (the model's validators say the same at save time)."""
    model_field = Practice._meta.get_field(name)
    message = f"Enter a whole number of {unit} from {low} to {high}."
    return forms.IntegerField(
        label=capfirst(model_field.verbose_name), help_text=model_field.help_text, min_value=low, max_value=high,
        error_messages={"min_value": message, "max_value": message, "invalid": message})


class BookingSettingsForm(forms.ModelForm):
    """The practice's rules for portal bookings (read by sessions_app.availability)."""

    booking_min_notice_hours = bounded("booking_min_notice_hours", 0, 24 * 90, "hours")
    booking_horizon_days = bounded("booking_horizon_days", 1, 730, "days")
    booking_buffer_before_minutes = bounded("booking_buffer_before_minutes", 0, 240, "minutes")
    booking_buffer_after_minutes = bounded("booking_buffer_after_minutes", 0, 240, "minutes")

    class Meta:
        model = Practice
        fields = [
            "booking_min_notice_hours", "booking_horizon_days", "booking_buffer_before_minutes",
            "booking_buffer_after_minutes", "booking_slot_step_minutes", "booking_requires_confirmation",
        ]

    def save(self, commit=True):
        practice = super().save(commit=False)
        if commit:
            practice.save(update_fields=self.Meta.fields)  # the practice's other settings stay as they are
        return practice


# --- Weekly hours -------------------------------------------------------------------------------

class HoursRangeForm(MarksInvalid, forms.Form):
    """One range of a weekday: From and To (wall times, on the minute), optionally Starting/Until."""

    # Each message names its field: the row shows them under the inputs, without labels.
    start_time = forms.TimeField(label="From", widget=time_input(), error_messages={
        "required": "Enter the “From” time.", "invalid": "Enter the “From” time like 09:30."})
    end_time = forms.TimeField(label="To", widget=time_input(), error_messages={
        "required": "Enter the “To” time.", "invalid": "Enter the “To” time like 17:00."})
    valid_from = forms.DateField(label="Starting", required=False, widget=date_input(),
                                 error_messages={"invalid": "“Starting” is not a valid date."})
    valid_until = forms.DateField(label="Until", required=False, widget=date_input(),
                                  error_messages={"invalid": "“Until” is not a valid date."})

    def _on_the_minute(self, name):
        value = self.cleaned_data[name]
        if value.second or value.microsecond:
            raise ValidationError(f"Use whole minutes for “{self.fields[name].label}”, like 09:30.", code="seconds")
        return value

    def clean_start_time(self):
        return self._on_the_minute("start_time")

    def clean_end_time(self):
        return self._on_the_minute("end_time")

    def clean_valid_from(self):
        return check_year(self.cleaned_data["valid_from"], "“Starting”")

    def clean_valid_until(self):
        return check_year(self.cleaned_data["valid_until"], "“Until”")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "“To” must be later than “From” (a range ends by 23:59 on the same day).")
        first, last = cleaned.get("valid_from"), cleaned.get("valid_until")
        if first and last and last < first:
            self.add_error("valid_until", "“Until” must be on or after “Starting”.")
        return cleaned


def dates_overlap(a, b):
    """Whether two ranges' optional date spans share a day (no date = open-ended)."""
    a_first, a_last = a.get("valid_from") or date.min, a.get("valid_until") or date.max
    b_first, b_last = b.get("valid_from") or date.min, b.get("valid_until") or date.max
    return a_first <= b_last and b_first <= a_last


class BaseDayFormSet(forms.BaseFormSet):
    """The ranges of one weekday: no two may overlap in time while their dates overlap
    (ranges that touch, 9:00–12:00 and 12:00–17:00, are fine)."""

    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": f"A day can have at most {MAX_RANGES_PER_DAY} ranges.",
    }

    weekday = None

    def ranges(self):
        return [form.cleaned_data for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        ranges = sorted(self.ranges(), key=lambda row: row["start_time"])
        clashes = []
        for index, one in enumerate(ranges):
            for other in ranges[index + 1:]:
                if other["start_time"] < one["end_time"] and dates_overlap(one, other):
                    clashes.append(f"{short(one['start_time'])}–{short(one['end_time'])} overlaps "
                                   f"{short(other['start_time'])}–{short(other['end_time'])}")
        if clashes:
            raise ValidationError(
                f"{'; '.join(clashes)}. Ranges on the same day must not overlap: change one, give them dates that "
                f"do not overlap, or remove one.", code="overlap")


DayFormSet = forms.formset_factory(
    HoursRangeForm, formset=BaseDayFormSet, extra=1, can_delete=True,
    max_num=MAX_RANGES_PER_DAY, validate_max=True, absolute_max=MAX_RANGES_PER_DAY + 8)


class WeekForm:
    """A practitioner's whole week: one formset per weekday (prefixes ``day0`` … ``day6``), checked
    together and saved as a replacement of the practitioner's set of weekly hours."""

    def __init__(self, data=None, *, practice, practitioner, existing=()):
        self.practice, self.practitioner = practice, practitioner
        by_day = {day: [] for day in Weekday.values}
        for hours in existing:
            by_day[hours.weekday].append({
                "start_time": hours.start_time, "end_time": hours.end_time,
                "valid_from": hours.valid_from, "valid_until": hours.valid_until})
        self.days = []
        for day in Weekday:
            formset = DayFormSet(data, prefix=f"day{day.value}", initial=by_day[day.value])
            formset.weekday = day
            self.days.append(formset)

    def __iter__(self):
        return iter(self.days)

    @property
    def is_bound(self):
        return self.days[0].is_bound

    def is_valid(self):
        return all([formset.is_valid() for formset in self.days])  # a list: every day gets its errors

    @property
    def error_count(self):
        return sum(formset.total_error_count() for formset in self.days)

    def save(self):
        """Replace the practitioner's weekly hours in this practice with the form's, in one
        transaction; their membership row is locked first, so two saves at once do not mix."""
        rows = [WeeklyHours(practice=self.practice, practitioner=self.practitioner, weekday=formset.weekday.value,
                            start_time=row["start_time"], end_time=row["end_time"],
                            valid_from=row.get("valid_from"), valid_until=row.get("valid_until"))
                for formset in self.days for row in formset.ranges()]
        with transaction.atomic():
            list(Membership.objects.select_for_update().filter(practice=self.practice, user=self.practitioner))
            WeeklyHours.objects.filter(practice=self.practice, practitioner=self.practitioner).delete()
            WeeklyHours.objects.bulk_create(rows)
        return rows


# --- Days off -----------------------------------------------------------------------------------

class DayOffForm(MarksInvalid, forms.ModelForm):
    class Meta:
        model = DayOff
        fields = ["first_day", "last_day", "note"]
        labels = {"first_day": "First day", "last_day": "Last day", "note": "Note"}
        widgets = {
            "first_day": date_input(),
            "last_day": date_input(),
            "note": forms.TextInput(attrs={"placeholder": "e.g. Vacation", "class": "form-control form-control-sm"}),
        }

    def __init__(self, *args, practice, practitioner, **kwargs):
        self.practice, self.practitioner = practice, practitioner
        super().__init__(*args, **kwargs)
        self.fields["note"].required = False

    def clean_first_day(self):
        return check_year(self.cleaned_data["first_day"], "The first day")

    def clean_last_day(self):
        return check_year(self.cleaned_data["last_day"], "The last day")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day must be on or after the first day.")
        return cleaned

    def save(self, commit=True):
        self.instance.practice, self.instance.practitioner = self.practice, self.practitioner
        return super().save(commit)


# --- Booking Page Form questions ----------------------------------------------------------------

class BookingQuestionForm(MarksInvalid, forms.ModelForm):
    """A question of a service's Booking Page Form; a choice offers two or more options, one a line."""

    choices = forms.CharField(
        label="Options", required=False, max_length=MAX_OPTIONS * (MAX_OPTION_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm",
                                     "placeholder": "For a choice: one option a line"}))
    position = forms.IntegerField(
        label="Order", required=False, min_value=0, max_value=999,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={key: "Enter an order number from 0 to 999." for key in ("min_value", "max_value", "invalid")})

    class Meta:
        model = BookingQuestion
        fields = ["label", "kind", "choices", "required", "position"]
        labels = {"label": "Question"}
        widgets = {
            "label": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "kind": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "required": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A booking has no statement to read, signature or initials: those are participant documents'.
        self.fields["kind"].choices = [(k, QuestionKind(k).label) for k in BOOKING_KINDS]

    def clean_position(self):
        position = self.cleaned_data.get("position")
        return 0 if position is None else position

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != QuestionKind.CHOICE:
            cleaned["choices"] = ""  # only a choice has options; a leftover list would only confuse
            return cleaned
        options = [line.strip() for line in (cleaned.get("choices") or "").splitlines() if line.strip()]
        if "choices" in self.errors:
            return cleaned
        if len(options) < 2:
            self.add_error("choices", "A choice question needs at least two options, one on each line.")
        elif len(options) > MAX_OPTIONS:
            self.add_error("choices", f"A choice question can have at most {MAX_OPTIONS} options.")
        elif any(len(option) > MAX_OPTION_LENGTH for option in options):
            self.add_error("choices", f"Each option can be at most {MAX_OPTION_LENGTH} characters.")
        elif len({option.casefold() for option in options}) < len(options):
            self.add_error("choices", "Each option can be listed only once.")
        else:
            cleaned["choices"] = "\n".join(options)
        return cleaned


class BaseQuestionFormSet(forms.BaseInlineFormSet):
    default_error_messages = {
        **forms.BaseInlineFormSet.default_error_messages,
        "too_many_forms": f"A Booking Page Form can have at most {MAX_QUESTIONS} questions.",
    }


QuestionFormSet = forms.inlineformset_factory(
    Service, BookingQuestion, form=BookingQuestionForm, formset=BaseQuestionFormSet, extra=1, can_delete=True,
    max_num=MAX_QUESTIONS, validate_max=True, absolute_max=MAX_QUESTIONS + 10)
