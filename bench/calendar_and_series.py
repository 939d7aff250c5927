"""Calendar events for one practitioner's busy month, and materialising 500 weekly series.

    .venv/bin/python bench/calendar_and_series.py [--runs 20] [--reuse]

1. In the large practice (bench/seed_large_practice.py, 50,000 sessions), one
   extra practitioner gets 400 sessions in one month; the script prints the
   median server time and the SQL query count of the calendar events endpoint
   for that practitioner's month (and for an ordinary practitioner's month).
2. In a fresh practice, 500 weekly series over a year (52 sessions each) are
   created through the same domain function the session form uses; the script
   prints the total time and sessions per second.
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from practice.models import Membership, Practice, Role, Room, Service, User  # noqa: E402
from sessions_app import series as series_rules  # noqa: E402
from sessions_app.models import Participant, Session  # noqa: E402
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


def series_bench():
    seeding.delete_previous("bench-series")
    practice = Practice.objects.create(name="Series Bench", slug="bench-series", time_zone=seeding.TZ)
    service = Service.objects.create(practice=practice, cpt_code="90834", name="Psychotherapy, 45 min", price=Decimal("130"),
                                     duration_minutes=45)
    hosts = []
    for i in range(50):
        user = User.objects.create_user(f"host{i}@bench-series.test", None, first_name="Host", last_name=str(i))
        Membership.objects.create(user=user, practice=practice, role=Role.PRACTITIONER)
        hosts.append(user)
    room = Room.objects.create(practice=practice, name="Video", kind="virtual")
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    started = time.perf_counter()
    made = 0
    for host in hosts:
        for n in range(10):  # Monday..Friday at 9:00 and 14:00
            day = monday + timedelta(days=n % 5)
            data = SessionData(
                practitioner=host, start=datetime.combine(day, wall(9 if n < 5 else 14), tzinfo=TZ), duration_minutes=45,
                time_zone=seeding.TZ, room=room, delivery_method="video", services=[(service, service.price)],
                participants=[ParticipantData(name="Client", invite_method="none", time_zone=seeding.TZ)],
            )
            _, sessions, _ = series_rules.create_series(
                practice=practice, actor=host, data=data, repeat={"preset": "weekly", "count": 52, "enabled": True}, today=day,
            )
            made += len(sessions)
    elapsed = time.perf_counter() - started
    seeding.delete_previous("bench-series")
    return made, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup_test_environment()
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
    made, elapsed = series_bench()
    print(f"materialised 500 weekly series x 52: {made} sessions in {elapsed:.1f} s ({made / elapsed:.0f} sessions/s)")


if __name__ == "__main__":
    main()
