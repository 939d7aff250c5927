"""Forms of participant documents: the participant's fill-and-sign form, and the team's template and
package builders. The rules are ``practice.questions`` (answers) and ``sessions_app.documents``
(signature, consent, versions, packages); these forms only collect and show."""
from django import forms

from practice.models import QuestionKind
from practice.questions import Question, QuestionsForm
from sessions_app import documents
from sessions_app.models import DocumentKind, DocumentTemplate

MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 200


class SignForm(QuestionsForm):
    """A document's questions, the signature (drawn: a PNG data URL from the pad; or typed) and the
    consent to sign electronically."""

    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    typed_signature = forms.CharField(label="Or type your full name as your signature", required=False,
                                      widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 120}))
    consent = forms.BooleanField(label="I agree to sign electronically", required=False, help_text=documents.CONSENT_TEXT)

    FIELD_OF_CODE = {"signature_size": "signature", "signature_type": "signature", "signature_blank": "signature",
                     "signature_required": "signature", "typed_signature": "typed_signature", "consent": "consent"}

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, questions=documents.questions_of(version), **kwargs)
        self.version = version

    def signing(self, *, ip_address, user_agent, user=None) -> documents.Signing:
        return documents.Signing(
            answers=self.raw_answers(), signature_data_url=self.data.get("signature", ""),
            typed_signature=self.data.get("typed_signature", ""), consent=bool(self.cleaned_data.get("consent")),
            ip_address=ip_address, user_agent=user_agent, user=user)

    def add_refusal(self, error):
        """Show a refusal of ``documents.sign`` on the field it is about."""
        if isinstance(error, documents.AnswersInvalid):
            for key, message in error.errors.items():
                name = f"q{key}"
                self.add_error(name if name in self.fields else None, message)
            return
        self.add_error(self.FIELD_OF_CODE.get(error.code), error.message)

    def items(self):
        """(question, bound field or None) in order, for the template: statements and the signature
        are shown where they stand."""
        return [(q, self[f"q{q.key}"] if f"q{q.key}" in self.fields else None) for q in self.questions]


# --- The builder ----------------------------------------------------------------------------------

class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="What the team calls it, e.g. Intake questionnaire.")
    title = forms.CharField(max_length=200, help_text="The heading the participant sees.")
    kind = forms.ChoiceField(label="Type", choices=DocumentKind.choices, initial=DocumentKind.FORM,
                             widget=forms.RadioSelect)
    intro = forms.CharField(label="Introduction", required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown above the fields.")
    pdf = forms.FileField(label="PDF to read and sign", required=False,
                          help_text="For a PDF document: up to 5 MB. Leave empty to keep the current PDF.")
    is_active = forms.BooleanField(label="Active", required=False, initial=True,
                                   help_text="Archived templates are no longer offered in packages.")

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if not upload:
            return None
        if upload.size > documents.MAX_PDF_BYTES:
            raise forms.ValidationError("The PDF is too large: 5 MB at most.")
        data = upload.read()
        try:
            documents.check_pdf(data)
        except documents.DomainError as error:
            raise forms.ValidationError(error.message) from error
        return (data, upload.name[:200])


FIELD_KINDS = [(k.value, k.label) for k in QuestionKind]


class FieldForm(forms.Form):
    label = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    kind = forms.ChoiceField(choices=FIELD_KINDS, initial=QuestionKind.SHORT_TEXT,
                             widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    required = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    options = forms.CharField(required=False, max_length=MAX_OPTIONS * (MAX_OPTION_LENGTH + 2),
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm",
                                                           "placeholder": "Choices: one option a line"}))
    text = forms.CharField(required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm",
                                                        "placeholder": "Statement: the text to read"}))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        options = [line.strip() for line in (cleaned.get("options") or "").splitlines() if line.strip()]
        if kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE):
            if len(options) < 2:
                self.add_error("options", "A choice needs at least two options, one on each line.")
            elif len(options) > MAX_OPTIONS:
                self.add_error("options", f"At most {MAX_OPTIONS} options.")
            elif any(len(o) > MAX_OPTION_LENGTH for o in options):
                self.add_error("options", f"Each option can be at most {MAX_OPTION_LENGTH} characters.")
            elif len({o.casefold() for o in options}) < len(options):
                self.add_error("options", "Each option can be listed only once.")
        else:
            options = []
        if kind == QuestionKind.STATEMENT and not (cleaned.get("text") or "").strip():
            self.add_error("text", "Write the statement to read.")
        cleaned["options"] = options
        if kind in (QuestionKind.STATEMENT, QuestionKind.SIGNATURE):
            cleaned["required"] = False
        return cleaned


class BaseFieldFormSet(forms.BaseFormSet):
    def questions(self) -> list[Question]:
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        return [Question(key=f"f{i + 1}", label=row["label"], kind=row["kind"], required=bool(row.get("required")),
                         options=tuple(row.get("options") or ()),
                         text=row.get("text", "") if row["kind"] == QuestionKind.STATEMENT else "")
                for i, row in enumerate(rows)]


FieldFormSet = forms.formset_factory(FieldForm, formset=BaseFieldFormSet, extra=1, can_delete=True,
                                     max_num=documents.MAX_FIELDS, validate_max=True,
                                     absolute_max=documents.MAX_FIELDS + 10)


def field_initial(version) -> list[dict]:
    return [{"label": q.label, "kind": q.kind, "required": q.required, "options": "\n".join(q.options), "text": q.text}
            for q in documents.questions_of(version)] if version else []


class PackageForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="e.g. New client intake.")
    templates = forms.ModelMultipleChoiceField(
        label="Documents", queryset=DocumentTemplate.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one document.",
                        "invalid_choice": "Choose documents of this practice.",
                        "invalid_pk_value": "Choose documents of this practice."})
    is_active = forms.BooleanField(label="Offered in the participant form", required=False, initial=True)

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["templates"].queryset = DocumentTemplate.objects.filter(practice=practice, is_active=True)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())
