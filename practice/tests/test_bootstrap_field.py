"""practice.widgets.bootstrap_field writes what crispy forms' Bootstrap 5 field template writes, for
the inputs and selects of the list filter forms (issue 17 replaced the one by the other there)."""
import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test.html import parse_html

from practice.widgets import FastSelect, bootstrap_field


class Filters(forms.Form):
    day = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label="Client <name>", required=False, max_length=5,
                           widget=forms.TextInput(attrs={"placeholder": "Participant name", "type": "search"}))
    state = forms.ChoiceField(label="State", required=False, choices=[("", "Any"), ("a", "A & B")], widget=FastSelect)
    code = forms.CharField(label="Code", max_length=9)


@pytest.mark.parametrize("data", [{}, {"day": "2030-13-01", "name": "far too long", "state": "zzz", "code": ""},
                                  {"day": "2030-03-12", "name": "Ann", "state": "a", "code": "123"}])
@pytest.mark.parametrize("name", ["day", "name", "state", "code"])
def test_the_field_is_the_html_crispy_writes(data, name):
    form = Filters(data or None)
    form.is_valid()
    assert parse_html(bootstrap_field(form[name])) == parse_html(as_crispy_field(form[name]))


def test_a_checkbox_is_refused_rather_than_written_wrong():
    class WithCheckbox(forms.Form):
        agree = forms.BooleanField()

    with pytest.raises(TypeError):
        bootstrap_field(WithCheckbox()["agree"])
