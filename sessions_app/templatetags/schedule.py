import zoneinfo

from django import template
from django.utils.safestring import mark_safe

from practice import phones
from practice.timezones import time_zone_choices
from sessions_app import presentation
from sessions_app import session_rows as rows

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


@register.simple_tag(takes_context=True)
def session_rows(context, sessions, open_list=False):
    """The session table's rows (sessions_app/session_rows.py): ``{% session_rows page.object_list %}``."""
    membership = context.get("current_membership")
    return rows.session_rows(sessions, open_list=open_list, is_office=bool(membership and membership.is_office),
                             now=context.get("now"))


@register.simple_tag
def state_badge(session, show_label=False):
    return mark_safe(rows.state_badge(session, show_label))


@register.simple_tag
def closure_badge(session):
    return mark_safe(rows.closure_badge(session))


@register.simple_tag
def kind_badge(session):
    return mark_safe(rows.kind_badge(session))
