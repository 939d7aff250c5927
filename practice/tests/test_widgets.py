"""FastSelect writes exactly the HTML of Django's Select (issue 17: the session form's selects)."""
import pytest
from django import forms
from django.test.html import parse_html
from django.utils.safestring import mark_safe

from practice.widgets import FastSelect
from sessions_app.forms import TIME_CHOICES

CASES = [
    (TIME_CHOICES, "09:00", {"class": "form-select"}),
    ([("", "No room"), (1, "A & B <script>"), (2, 'Q"uote\'s')], 1, {"id": "id_room", "required": True}),
    ([("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C")], "b", {"aria-describedby": "help"}),
    ([("", "Choose")], None, {"disabled": True, "data-x": "y", "hidden": False}),
    ([(1, mark_safe("<b>safe</b>")), (2, "two")], "7", {}),  # a value not among the choices selects nothing
]


@pytest.mark.parametrize("choices, value, attrs", CASES)
def test_the_same_html_as_djangos_select(choices, value, attrs):
    django_html = forms.Select(choices=choices).render("field", value, attrs)
    fast_html = FastSelect(choices=choices).render("field", value, attrs)
    assert parse_html(fast_html) == parse_html(django_html)


def test_values_and_labels_are_escaped():
    html = FastSelect(choices=[('"><script>x</script>', "<img src=x onerror=alert(1)>")]).render("field", None)
    assert "<script>" not in html and "<img" not in html
    assert "&quot;&gt;&lt;script&gt;" in html and "&lt;img src=x" in html


def test_a_required_field_in_a_form_renders_as_with_djangos_select_valid_or_not():
    def form_class(widget):
        class Form(forms.Form):
            time = forms.ChoiceField(choices=[("", "Pick")] + TIME_CHOICES, widget=widget)
        return Form

    for data in (None, {"time": "25:99"}, {"time": "09:15"}):
        fast, plain = form_class(FastSelect)(data), form_class(forms.Select)(data)
        assert fast.is_valid() == plain.is_valid()
        assert parse_html(str(fast["time"])) == parse_html(str(plain["time"]))
    assert 'required' in str(form_class(FastSelect)()["time"])
