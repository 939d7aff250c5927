from django import template

from practice.widgets import bootstrap_field

register = template.Library()
register.filter("bootstrap_field", bootstrap_field)
