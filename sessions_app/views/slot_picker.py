"""The portal's date and time step: a month strip and one day's free slots, in the client's
time zone (shown, and changeable with ``?tz=``). Booking and rescheduling both use it."""
import calendar
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone

from practice.periods import EARLIEST_DAY, LATEST_DAY
from practice.timezones import validate_time_zone
from sessions_app import availability

START_FORMAT = "%Y%m%dT%H%MZ"  # a slot in a URL: UTC, to the minute


def format_start(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(START_FORMAT)


def parse_start(text) -> datetime | None:
    """A slot start from a URL, or None for anything that is not one."""
    try:
        start = datetime.strptime(str(text or ""), START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    # Only years where date arithmetic in any zone stays inside datetime's range.
    return start if EARLIEST_DAY <= start.date() <= LATEST_DAY else None


def viewer_zone(request, *, warn=False) -> zoneinfo.ZoneInfo:
    """The zone slots are shown in: ``tz`` from the query (or form) when it is a zone we know,
    else the client's own."""
    name = (request.GET.get("tz") or request.POST.get("tz") or "").strip().replace(" ", "_")
    if name:
        try:
            validate_time_zone(name)
            return zoneinfo.ZoneInfo(name)
        except ValidationError as error:
            if warn:
                messages.error(request, " ".join(error.messages))
    return zoneinfo.ZoneInfo(request.user.time_zone)


def _month(text, fallback: date) -> date:
    try:
        year, month = (int(part) for part in str(text).split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return fallback.replace(day=1)


def _day(text) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def render_in(zone, request, template, context):
    """Render with ``zone`` active: Django's date and time filters show aware datetimes in it."""
    with timezone.override(zone):
        return render(request, template, context)


def slot_picker(request, *, practitioner, minutes, pick_url, context, exclude_session=None, template=None):
    """Render the month strip and the chosen day's slots; each slot links to ``pick_url``."""
    practice = request.practice
    zone = viewer_zone(request, warn=True)
    now = timezone.now()
    today = now.astimezone(zone).date()
    last_bookable = (now + timedelta(days=practice.booking_horizon_days)).astimezone(zone).date()
    chosen_day = _day(request.GET.get("day"))
    month_start = _month(request.GET.get("month"), chosen_day or today)
    month_start = min(max(month_start, today.replace(day=1)), last_bookable.replace(day=1))
    month_end = month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])
    first, last = max(month_start, today), min(month_end, last_bookable)
    by_day = availability.slots_by_day(practice=practice, practitioner=practitioner, minutes=minutes, first_day=first,
                                       last_day=last, zone_name=zone.key, now=now, exclude_session=exclude_session)
    if chosen_day not in by_day:
        chosen_day = min(by_day) if by_day else None
    base = {"tz": zone.key, "month": f"{month_start:%Y-%m}"}
    strip = []
    for number in range(first.day, month_end.day + 1):  # from today on: past days are not offered
        day = month_start.replace(day=number)
        strip.append({"day": day, "count": len(by_day.get(day, [])), "chosen": day == chosen_day,
                      "url": "?" + urlencode({**base, "day": day.isoformat()})})
    previous_month = (month_start - timedelta(days=1)).replace(day=1)
    next_month = month_end + timedelta(days=1)
    return render_in(zone, request, template or "sessions_app/portal/slot_picker.html", {
        **context,
        "zone": zone.key, "zone_abbr": now.astimezone(zone).strftime("%Z"), "month_start": month_start, "strip": strip,
        "chosen_day": chosen_day, "minutes": minutes, "practitioner": practitioner,
        "slots": [{"start": start, "url": f"{pick_url}?" + urlencode({"start": format_start(start), "tz": zone.key})}
                  for start in by_day.get(chosen_day, [])],
        "previous_url": "?" + urlencode({"tz": zone.key, "month": f"{previous_month:%Y-%m}"}) if month_start > today.replace(day=1) else "",
        "next_url": "?" + urlencode({"tz": zone.key, "month": f"{next_month:%Y-%m}"}) if next_month <= last_bookable else "",
    })
