"""Time zone names and the checks on them."""
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django import forms
from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def all_time_zones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in all_time_zones():
        raise ValidationError("“%(value)s” is not a time zone we know. Pick one from the list.", params={"value": value})


@lru_cache(maxsize=1)
def time_zone_choices() -> list:
    """Choices for a select: common North American zones first, then every IANA zone."""
    common = [
        "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
        "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
    ]
    rest = sorted(z for z in all_time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/")) and z not in common)
    return [(z, z.replace("_", " ")) for z in common] + [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in rest]


class TimeZoneField(forms.CharField):
    """A time zone typed or picked from the page's shared ``<datalist id="time-zones">``.

    One datalist serves every zone field on a page, instead of a 600-option
    select per participant row.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).strip().replace(" ", "_")
        if value:
            validate_time_zone(value)
        return value


def wall_time_to_aware(day, wall_time, zone_name):
    """The aware datetime of a wall-clock time in a zone.

    A time that does not exist (skipped by a daylight-saving change) moves
    forward by the gap; a time that happens twice takes its first occurrence.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    # fold=0 reads a skipped time with the offset before the change, which lands
    # it the gap's length later once normalised through UTC (02:30 -> 03:30).
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC).astimezone(zone)


# Lengths are elapsed time (DESIGN.md invariant 2). Python adds and subtracts
# aware datetimes that share a tzinfo on the wall clock (01:30 EDT + 50 minutes
# on a fall-back night is 02:20 EST: 110 minutes later), so both go through UTC.

def ends_at(start: datetime, minutes: int) -> datetime:
    """The end, aware and in UTC, of something ``minutes`` elapsed minutes long from the aware ``start``."""
    return start.astimezone(UTC) + timedelta(minutes=minutes)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """The time that really passes from ``start`` to ``end`` (both aware), whatever their zones."""
    return end.astimezone(UTC) - start.astimezone(UTC)
