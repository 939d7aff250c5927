"""Time zone names and the checks on them."""
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources

from django import forms
from django.core.exceptions import ValidationError


def _tzdata_text(name: str) -> str:
    """A file of the pinned ``tzdata`` package (zone.tab, tzdata.zi), the same data zoneinfo reads."""
    return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def all_time_zones() -> frozenset:
    """The canonical IANA names a person may pick: the zones of zone.tab and zone1970.tab, and UTC.

    ``zoneinfo.available_timezones()`` also lists backward-compatible links and system files
    ("US/Eastern", "EST5EDT", "Asia/Calcutta", "GMT+0", "localtime"): they still load, so rows
    saved with one keep working, but new input takes a place name. zone.tab keeps one name per
    country region (so "Europe/Oslo" stays, although the data now links it to Europe/Berlin).
    """
    names = set()
    for table in ("zone.tab", "zone1970.tab"):
        for line in _tzdata_text(table).splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])
    names.add("UTC")
    return frozenset(names & zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _links() -> dict:
    """Old name -> the zone it now means (the "L target name" lines of tzdata.zi)."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _l, target, name = line.split()
            links[name] = target
    return links


def validate_time_zone(value: str) -> None:
    if value in all_time_zones():
        return
    target = _links().get(value)
    if target in all_time_zones():
        raise ValidationError("“%(value)s” is an old name for a time zone. Use %(target)s instead.",
                              params={"value": value, "target": target})
    raise ValidationError("“%(value)s” is not a time zone we know. Pick a place name from the list, e.g. America/New_York.",
                          params={"value": value})


@lru_cache(maxsize=1)
def time_zone_choices() -> list:
    """Choices for a select: common North American zones first, then UTC and every other canonical zone."""
    common = [
        "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
        "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
    ]
    rest = sorted(z for z in all_time_zones() if z not in common and z != "UTC")
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
