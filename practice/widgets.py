"""Form widgets written in Python where Django's templates are too slow for the page.

Django renders a ``<select>`` through one template include per option: the session form's
288-option time list took about 30 ms of a 75 ms page (issue 17). ``FastSelect`` writes the
same HTML (``name``, the attributes, ``<optgroup>``, ``selected``) in one pass of Python, with
every value and label escaped, and keeps everything else of ``forms.Select``: choices, the
``required`` rule, ``value_from_datadict``, and the attributes crispy forms adds.
"""
from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils.safestring import mark_safe


def _html(text) -> str:
    # As conditional_escape: safe strings as they are; html.escape (quote=True) escapes what
    # django.utils.html.escape does, without its lazy-string wrapper.
    return text.__html__() if hasattr(text, "__html__") else escape(str(text))


def _option(value, label, selected: set[str]) -> str:
    text = "" if value is None else str(value)
    mark = " selected" if text in selected else ""
    return f'<option value="{escape(text)}"{mark}>{_html(label)}</option>'


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)  # "required" comes decided from BoundField.build_widget_attrs
        selected = set(self.format_value(value))  # a Select's format_value gives at most one value
        parts = []
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):  # a group: (group label, [(value, label), ...])
                inner = "".join(_option(v, lab, selected) for v, lab in option_label)
                parts.append(f'<optgroup label="{_html(option_value)}">{inner}</optgroup>')
            else:
                parts.append(_option(option_value, option_label, selected))
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>{"".join(parts)}</select>')


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices of a short queryset read in one query (Django's iterator() opens a server-side
    cursor: DECLARE, FETCH and CLOSE, three round trips for a list of practitioners)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


def bootstrap_field(field) -> str:
    """A text input, date input or select as crispy forms' Bootstrap 5 ``field.html`` writes it (the
    wrapper, the label, the widget with ``form-control``/``form-select`` and ``is-invalid``, the
    errors under it), in one pass of Python: for the GET filter forms above lists, where crispy's
    template includes cost more than the rows (issue 17). Help text is not shown (none there has any)."""
    widget = field.field.widget
    if not isinstance(widget, forms.Select | Input) or isinstance(widget, forms.CheckboxInput | forms.FileInput):
        raise TypeError(f"bootstrap_field renders inputs and selects, not {type(widget).__name__}")
    control = "form-select" if isinstance(widget, forms.Select) else "form-control"
    css = f"{type(widget).__name__.lower()} {control}" + (" is-invalid" if field.errors else "")
    attrs = {"class": css}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    required = '<span class="asteriskField">*</span>' if field.field.required else ""
    label = (f'<label for="{escape(field.id_for_label)}" class="form-label{" requiredField" if required else ""}">'
             f'{_html(field.label)}{required}</label>') if field.label else ""
    errors = ""
    if field.errors:
        errors = (f'<div id="{escape(field.auto_id)}_error" class="invalid-feedback">'
                  + "".join(f'<p id="error_{n}_{escape(field.auto_id)}"><strong>{_html(e)}</strong></p>'
                            for n, e in enumerate(field.errors, start=1))
                  + "</div>")
    return mark_safe(f'<div id="div_{escape(field.auto_id)}" class="mb-3">{label}{field.as_widget(attrs=attrs)}{errors}</div>')
