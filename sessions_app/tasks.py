import zoneinfo

from celery import shared_task
from django.utils import timezone

from sessions_app import meetings
from sessions_app import series as series_rules
from sessions_app.models import SessionSeries


@shared_task
def extend_series(series_id: int) -> int:
    """Materialise one never-ending series up to the rolling horizon (idempotent)."""
    series = SessionSeries.objects.select_related("practice", "practitioner", "room").filter(pk=series_id).first()
    if series is None:
        return 0
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(series.time_zone))
    return series_rules.extend_horizon(series, today)


@shared_task
def extend_never_ending_series() -> int:
    """Beat, daily: queue every enabled never-ending series for extension."""
    ids = list(SessionSeries.objects.filter(enabled=True, count__isnull=True, until__isnull=True).values_list("pk", flat=True))
    for pk in ids:
        extend_series.delay(pk)
    return len(ids)


@shared_task
def destroy_overdue_janus_rooms() -> int:
    """Beat, every 5 minutes: destroy the Janus rooms of ended meetings and of meetings past their
    session's end + 15 minutes (a room Janus did not destroy is tried again next time)."""
    return meetings.destroy_overdue_janus_rooms()


@shared_task
def decline_unanswered_requests() -> int:
    """Beat, every five minutes: portal requests nobody answered before they began are declined."""
    from sessions_app import booking

    return booking.decline_unanswered()
