import zoneinfo

from django import template

from practice import phones
from practice.timezones import time_zone_choices

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
