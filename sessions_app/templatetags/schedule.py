import zoneinfo

from django import template

from practice import phones
from practice.timezones import time_zone_choices
from sessions_app import presentation

register = template.Library()


@register.filter
def in_zone(value, zone_name):
    """The wall time of aware ``value`` in ``zone_name`` (an IANA name).

    Returned naive, so Django's date filters do not convert it back to the viewer's zone.
    """
    if value is None or not zone_name:
        return value
    return value.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


@register.filter
def phone(value):
    return phones.display(value)


@register.inclusion_tag("partials/time_zone_datalist.html")
def time_zone_datalist():
    return {"zones": [value for value, _label in time_zone_choices()]}


@register.filter
def status_badge(status):
    """The badge class of a session status: ``{{ session.status|status_badge }}`` gives e.g. ``text-bg-success``."""
    return presentation.badge_class(status)


@register.simple_tag
def status_legend():
    """(label, colour) of every session status, for the calendar's legend."""
    return presentation.legend()
