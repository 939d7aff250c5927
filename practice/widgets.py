"""Form widgets written in Python where Django's templates are too slow for the page.

Django renders a ``<select>`` through one template include per option: the session form's
288-option time list took about 30 ms of a 75 ms page (issue 17). ``FastSelect`` writes the
same HTML (``name``, the attributes, ``<optgroup>``, ``selected``) in one pass of Python, with
every value and label escaped, and keeps everything else of ``forms.Select``: choices, the
``required`` rule, ``value_from_datadict``, and the attributes crispy forms adds.
"""
from html import escape

from django import forms
from django.forms.utils import flatatt
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
