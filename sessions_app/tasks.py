import zoneinfo

from celery import shared_task
from django.utils import timezone

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
