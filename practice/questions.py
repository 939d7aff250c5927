"""The one place a question (a field definition) becomes a Django form field and its answer is checked.

Two things ask people questions: the Booking Page Form of a service (``practice.models.BookingQuestion``,
answered when a client books online) and participant documents (the fields of a
``sessions_app`` document template version, answered before a first session). Both describe a
question as a ``Question`` (``key``, ``label``, ``kind``, ``required``, ``options``, ``text``);
``form_field`` builds the Django field and ``clean_answers`` is the rule the forms and the domain
functions both run, so a form can never let through what ``book`` or ``sign`` would refuse.

Answers are text (a date as YYYY-MM-DD, yes/no as "Yes"/"No"), except several choices: a list of
the chosen options. A statement (text to read) and a signature take no typed answer: the signature
is the document's signature (drawn or typed), checked by ``sessions_app.documents``.
"""
import datetime
from dataclasses import dataclass, field

from django import forms

from practice.models import QuestionKind

SHORT_ANSWER_MAX = 200
LONG_ANSWER_MAX = 2000
INITIALS_MAX = 8
YES, NO = "Yes", "No"
ANSWER_REQUIRED = "Please answer this question."
# Kinds that take no typed answer.
NO_ANSWER_KINDS = (QuestionKind.STATEMENT, QuestionKind.SIGNATURE)
# What the Booking Page Form offers (a booking has no statement to read or signature).
BOOKING_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT, QuestionKind.CHOICE, QuestionKind.YES_NO)


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    kind: str = QuestionKind.SHORT_TEXT
    required: bool = False
    options: tuple = field(default_factory=tuple)
    text: str = ""  # a statement's text to read

    @classmethod
    def of_booking_question(cls, question) -> "Question":
        return cls(key=str(question.pk), label=question.label, kind=question.kind, required=question.required,
                   options=tuple(question.options))

    @classmethod
    def from_dict(cls, data: dict) -> "Question":
        return cls(key=str(data["key"]), label=data.get("label", ""), kind=data.get("kind", QuestionKind.SHORT_TEXT),
                   required=bool(data.get("required")), options=tuple(data.get("options") or ()),
                   text=data.get("text", ""))

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "kind": self.kind, "required": self.required,
                "options": list(self.options), "text": self.text}

    @property
    def takes_answer(self) -> bool:
        return self.kind not in NO_ANSWER_KINDS

    @property
    def limit(self) -> int:
        return {QuestionKind.LONG_TEXT: LONG_ANSWER_MAX, QuestionKind.INITIALS: INITIALS_MAX}.get(self.kind, SHORT_ANSWER_MAX)


def form_field(question: Question) -> forms.Field | None:
    """The Django form field of ``question`` (None for a statement or a signature)."""
    options = {"label": question.label, "required": question.required,
               "error_messages": {"required": ANSWER_REQUIRED}}
    kind = question.kind
    if kind == QuestionKind.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "maxlength": LONG_ANSWER_MAX}), **options)
    if kind == QuestionKind.CHOICE:
        return forms.ChoiceField(choices=[(o, o) for o in question.options], widget=forms.RadioSelect, **options)
    if kind == QuestionKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=[(o, o) for o in question.options], widget=forms.CheckboxSelectMultiple,
                                         **options)
    if kind == QuestionKind.YES_NO:
        return forms.ChoiceField(choices=[(YES, "Yes"), (NO, "No")], widget=forms.RadioSelect, **options)
    if kind == QuestionKind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    if kind == QuestionKind.INITIALS:
        return forms.CharField(widget=forms.TextInput(attrs={"maxlength": INITIALS_MAX, "autocomplete": "off",
                                                             "class": "initials-input"}), **options)
    if kind in NO_ANSWER_KINDS:
        return None
    return forms.CharField(widget=forms.TextInput(attrs={"maxlength": SHORT_ANSWER_MAX}), **options)


def clean_answer(question: Question, raw) -> tuple[object, str | None]:
    """``(value, error)`` for one question: the cleaned answer, and the plain-words error or None."""
    if not question.takes_answer:
        return "", None
    if question.kind == QuestionKind.MULTI_CHOICE:
        values = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            return [], ANSWER_REQUIRED if question.required else None
        if any(v not in question.options for v in values):
            return values, "Choose among the options."
        return [o for o in question.options if o in values], None  # the options' order, each once
    value = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    value = value.strip()
    if not value:
        return "", ANSWER_REQUIRED if question.required else None
    if len(value) > question.limit:
        return value, f"Please keep the answer under {question.limit} characters (it has {len(value)})."
    if "\x00" in value:
        return value, "The answer contains a character that cannot be kept."
    if question.kind == QuestionKind.CHOICE and value not in question.options:
        return value, "Choose one of the options."
    if question.kind == QuestionKind.YES_NO and value not in (YES, NO):
        return value, "Answer yes or no."
    if question.kind == QuestionKind.DATE:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value, "Enter a date like 2030-03-12."
        if not 1900 <= day.year <= 2200:
            return value, "Enter a date between the years 1900 and 2200."
    return value, None


def clean_answers(questions, raw: dict) -> tuple[list[tuple[Question, object]], dict[str, str]]:
    """The answers to ``questions`` from ``raw`` (key -> text, or a list for several choices), and
    the errors by key. The forms and the domain functions both run it."""
    answers, errors = [], {}
    for question in questions:
        value, error = clean_answer(question, raw.get(question.key))
        if error:
            errors[question.key] = error
        answers.append((question, value))
    return answers, errors


class QuestionsForm(forms.Form):
    """A form of ``questions``: field ``q<key>`` each (``form_field``), checked by ``clean_answers``.
    ``self.answers`` is key -> cleaned answer once valid."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            form_field_ = form_field(question)
            if form_field_ is not None:
                self.fields[f"q{question.key}"] = form_field_

    def raw_answers(self) -> dict:
        raw = {}
        for question in self.questions:
            name = self.add_prefix(f"q{question.key}")
            if question.kind == QuestionKind.MULTI_CHOICE:
                raw[question.key] = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name, [])
            else:
                raw[question.key] = self.data.get(name, "")
        return raw

    def clean(self):
        cleaned = super().clean()
        answers, errors = clean_answers(self.questions, self.raw_answers())
        for key, message in errors.items():
            name = f"q{key}"
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
            elif name not in self.fields:
                self.add_error(None, message)
        self.answers = {q.key: value for q, value in answers if q.takes_answer}
        return cleaned
