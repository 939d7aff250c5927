"""Calendar events for one practitioner's busy month, and materialising 500 weekly series.

    .venv/bin/python bench/calendar_and_series.py [--runs 20] [--reuse]

1. In the large practice (bench/seed_large_practice.py, 50,000 sessions), one
   extra practitioner gets 400 sessions in one month; the script prints the
   median server time and the SQL query count of the calendar events endpoint
   for that practitioner's month (and for an ordinary practitioner's month).
2. In a fresh practice, 500 weekly series over a year (52 sessions each) are
   created through the same domain function the session form uses
   (``series.create_series``), against a baseline in another fresh practice:
   django-recurrence expansion on naive local times and ``bulk_create`` of the
   same rows (series, sessions, their services and participants). The two run
   interleaved for ``--rounds`` rounds, each from a fresh state (what a run wrote
   is deleted after it, outside the timed part); medians, printed as a ratio with
   bench/ratio.py (issue 17 target: 2x). ``--part series`` runs this part alone.
"""
import argparse
import statistics
import sys
import time
import zoneinfo
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import recurrence  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from bench.ratio import QueryCounter, Row, report  # noqa: E402
from practice.models import Membership, Practice, Role, Room, Service, User  # noqa: E402
from practice.timezones import ends_at, wall_time_to_aware  # noqa: E402
from sessions_app import series as series_rules  # noqa: E402
from sessions_app.models import Participant, Session, SessionSeries, SessionService  # noqa: E402
from sessions_app.scheduling import ParticipantData, SessionData  # noqa: E402

TZ = zoneinfo.ZoneInfo(seeding.TZ)


def busy_month(practice):
    """400 sessions for one new practitioner in next month: 20 weekdays x 20 slots of 25 minutes."""
    User.objects.filter(email=f"busy@{seeding.SLUG}.test").delete()
    busy = User.objects.create_user(f"busy@{seeding.SLUG}.test", "bench-pass-2026", first_name="Busy", last_name="Host")
    Membership.objects.create(user=busy, practice=practice, role=Role.PRACTITIONER)
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    days = [first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == first.month
            and (first + timedelta(days=n)).weekday() < 5][:20]
    rows = []
    for day in days:
        for slot in range(20):
            start = datetime.combine(day, wall(8, 0), tzinfo=TZ) + timedelta(minutes=30 * slot)
            rows.append(Session(practice=practice, practitioner=busy, start=start, end=start + timedelta(minutes=25),
                                time_zone=seeding.TZ, access_code=seeding.unique_codes(1)[0]))
    made = Session.objects.bulk_create(rows)
    Participant.objects.bulk_create(Participant(session=s, name="Client Bench", invite_method="none", time_zone=seeding.TZ) for s in made)
    return busy, first


def measure_events(viewer, practitioner, first, runs):
    client = Client()
    client.force_login(viewer)
    last = (first + timedelta(days=32)).replace(day=1)
    params = {"start": f"{first}T00:00:00Z", "end": f"{last}T00:00:00Z", "practitioner": practitioner.pk}
    client.get("/calendar/events/", params)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/calendar/events/", params)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    events = [e for e in response.json() if isinstance(e["id"], int)]
    return len(events), statistics.median(times) * 1000, len(queries)


SERIES_HOSTS = 50
SERIES_PER_HOST = 10  # Monday..Friday at 9:00 and 14:00
SERIES_COUNT = 52


def series_world(slug):
    """A fresh practice with 50 practitioners, one 45-minute service and a video room."""
    seeding.delete_previous(slug)
    practice = Practice.objects.create(name=f"Series Bench {slug}", slug=slug, time_zone=seeding.TZ)
    service = Service.objects.create(practice=practice, cpt_code="90834", name="Psychotherapy, 45 min", price=Decimal("130"),
                                     duration_minutes=45)
    hosts = []
    for i in range(SERIES_HOSTS):
        user = User.objects.create_user(f"host{i}@{slug}.test", None, first_name="Host", last_name=str(i))
        Membership.objects.create(user=user, practice=practice, role=Role.PRACTITIONER)
        hosts.append(user)
    room = Room.objects.create(practice=practice, name="Video", kind="virtual")
    return {"practice": practice, "service": service, "hosts": hosts, "room": room}


def series_plan(world, series):
    """(host, first day, hour) of each series: each host gets ten, Monday..Friday at 9:00 and 14:00."""
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    plan = [(host, monday + timedelta(days=n % 5), 9 if n < 5 else 14)
            for host in world["hosts"] for n in range(SERIES_PER_HOST)]
    return plan[:series]


def series_work(world, series, count=SERIES_COUNT):
    """The work: each series through the domain function the session form uses."""
    made = 0
    for host, day, hour in series_plan(world, series):
        data = SessionData(
            practitioner=host, start=datetime.combine(day, wall(hour), tzinfo=TZ), duration_minutes=45,
            time_zone=seeding.TZ, room=world["room"], delivery_method="video",
            services=[(world["service"], world["service"].price)],
            participants=[ParticipantData(name="Client", invite_method="none", time_zone=seeding.TZ)],
        )
        _, sessions, _ = series_rules.create_series(
            practice=world["practice"], actor=host, data=data, repeat={"preset": "weekly", "count": count, "enabled": True},
            today=day,
        )
        made += len(sessions)
    return made


def series_baseline(world, series, count=SERIES_COUNT):
    """The baseline: django-recurrence expansion on naive local times, then bulk_create of the same rows
    (the series, its sessions, their services and participants), one transaction per series."""
    practice, service, room = world["practice"], world["service"], world["room"]
    made = 0
    # Access codes unique in the run (26,000 random 9-digit codes collide about one run in three).
    codes = iter(seeding.unique_codes(series * count))
    for host, day, hour in series_plan(world, series):
        with transaction.atomic():
            rule = recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=[series_rules.WEEKDAYS[day.weekday()]])])
            row = SessionSeries.objects.create(
                practice=practice, practitioner=host, preset="weekly", rule=rule, first_day=day, start_time=wall(hour),
                time_zone=seeding.TZ, duration_minutes=45, count=count, room=room, delivery_method="video", created_by=host,
                services=[[service.pk, str(service.price)]],
                participants=[{"name": "Client", "invite_method": "none", "time_zone": seeding.TZ, "is_client": True}],
            )
            ruleset = rule.to_dateutil_rruleset(dtstart=datetime.combine(day, wall(0)))
            days = [moment.date() for _, moment in zip(range(count), ruleset, strict=False)]
            starts = [wall_time_to_aware(d, wall(hour), seeding.TZ) for d in days]
            sessions = Session.objects.bulk_create(
                Session(practice=practice, practitioner=host, room=room, series=row, series_day=d, start=start,
                        end=ends_at(start, 45), time_zone=seeding.TZ, delivery_method="video", created_by=host,
                        access_code=next(codes))
                for d, start in zip(days, starts, strict=True)
            )
            SessionService.objects.bulk_create(SessionService(session=s, service=service, price=service.price, position=0)
                                               for s in sessions)
            Participant.objects.bulk_create(Participant(session=s, name="Client", invite_method="none", time_zone=seeding.TZ)
                                            for s in sessions)
        made += len(sessions)
    return made


def clear_series(world):
    """Outside the timed part: remove what a run wrote, so the next run starts from the same fresh state."""
    with transaction.atomic(), connection.cursor() as cursor:
        practice_id = world["practice"].pk
        for sql in (
            "DELETE FROM notifications_notification WHERE practice_id = %s",
            "DELETE FROM sessions_app_participant p USING sessions_app_session s WHERE p.session_id = s.id AND s.practice_id = %s",
            "DELETE FROM sessions_app_sessionservice x USING sessions_app_session s WHERE x.session_id = s.id AND s.practice_id = %s",
            "DELETE FROM sessions_app_session WHERE practice_id = %s",
            "DELETE FROM sessions_app_sessionseries WHERE practice_id = %s",
        ):
            cursor.execute(sql, [practice_id])


def timed(function, *args):
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = function(*args)
        elapsed = time.perf_counter() - started
    return elapsed, counter.count, result


def series_rows(rounds, series=SERIES_HOSTS * SERIES_PER_HOST):
    """The work and its baseline, interleaved for ``rounds`` rounds after a small warm-up, each run
    from a fresh state (what a run wrote is deleted after it, outside the timed part); medians."""
    work_world, base_world = series_world("bench-series"), series_world("bench-series-base")
    try:
        for world, function in ((base_world, series_baseline), (work_world, series_work)):  # warm-up
            function(world, 5)
            clear_series(world)
        work_times, base_times, queries = [], [], []
        for _ in range(rounds):
            elapsed, _, made = timed(series_baseline, base_world, series)
            base_times.append(elapsed)
            clear_series(base_world)
            elapsed, count, work_made = timed(series_work, work_world, series)
            assert work_made == made == series * SERIES_COUNT, (work_made, made)
            work_times.append(elapsed)
            queries.append(count)
            clear_series(work_world)
    finally:
        seeding.delete_previous("bench-series")
        seeding.delete_previous("bench-series-base")
    per_session = statistics.median(queries) / made
    return Row(f"{series} weekly series x {SERIES_COUNT} materialised", statistics.median(work_times),
               statistics.median(base_times), target=2.0, queries=int(statistics.median(queries)),
               note=f"{per_session:.2f} queries/session, {made} sessions, {rounds} rounds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--part", choices=["all", "calendar", "series"], default="all")
    parser.add_argument("--rounds", type=int, default=3, help="series: interleaved rounds (medians)")
    parser.add_argument("--series", type=int, default=SERIES_HOSTS * SERIES_PER_HOST, help="series: how many")
    args = parser.parse_args()
    setup_test_environment()
    if args.part in ("all", "calendar"):
        calendar_part(args)
    if args.part in ("all", "series"):
        report([series_rows(args.rounds, args.series)],
               title="materialising weekly series: create_series vs django-recurrence + bulk_create (interleaved, medians)")


def calendar_part(args):
    if not (args.reuse and Practice.objects.filter(slug=seeding.SLUG).exists()):
        seeding.delete_previous()
        seeding.seed()
    practice = Practice.objects.get(slug=seeding.SLUG)
    busy, first = busy_month(practice)
    office = User.objects.create_user(f"office{time.time_ns()}@{seeding.SLUG}.test", None)
    Membership.objects.create(user=office, practice=practice, role=Role.STAFF)
    ordinary = User.objects.get(email=f"host0@{seeding.SLUG}.test")
    total = Session.objects.filter(practice=practice).count()
    print(f"calendar events, practice of {total} sessions, month of {first:%B %Y}")
    print(f"  {'practitioner':<14}{'events':>8}{'median ms':>11}{'queries':>9}")
    for label, who in (("busy", busy), ("ordinary", ordinary)):
        count, median_ms, queries = measure_events(office, who, first, args.runs)
        print(f"  {label:<14}{count:>8}{median_ms:>11.1f}{queries:>9}")
    Session.objects.filter(practitioner=busy).delete()
    busy.delete()
    office.delete()


if __name__ == "__main__":
    main()
