import zoneinfo

from django import template

from practice import phones

register = template.Library()


@register.filter
def in_zone(value, zone_name):
    """The aware datetime ``value`` as wall time in ``zone_name`` (an IANA name)."""
    if value is None or not zone_name:
        return value
    return value.astimezone(zoneinfo.ZoneInfo(zone_name))


@register.filter
def phone(value):
    return phones.display(value)
