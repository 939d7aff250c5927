"""90 days of free slots for one practitioner in the large practice: time and SQL queries.

    .venv/bin/python bench/availability.py [--runs 25] [--reuse]

In the large practice (bench/seed_large_practice.py, 50,000 sessions; ``--reuse`` keeps one
seeded earlier), a new practitioner publishes weekly hours Monday to Friday 09:00-17:00
(New York); the practice offers starts every 15 minutes, books up to 100 days ahead. The script
times ``availability.slots`` (the one slot rule the portal lists and books by) for a 50-minute
service over the next 90 days:

(a) with none of that practitioner's sessions in the window;
(b) with 5,000 of them in the window: packed back to back around the clock, 15 to 25 minutes
    long, with a 65-minute gap now and then so that some 50-minute slots remain.

Baseline, measured in the same run and interleaved with it (one baseline call, one slots call,
and again): a bare query fetching the window's (start, end) rows of that practitioner's
sessions with ``values_list``, the least any implementation must do. Figures are medians of
``--runs`` calls of each, server time in this process (Python and SQL, no network). Then the
reference figure of issue 13 for django-appointment on comparable data.
"""
import argparse
import random
import statistics
import sys
import time
import zoneinfo
from datetime import date, datetime, timedelta
from datetime import time as wall
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from django.db import connection  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from bench.ratio import QueryCounter  # noqa: E402
from practice.models import Membership, Practice, Role, User, WeeklyHours  # noqa: E402
from sessions_app.availability import slots  # noqa: E402
from sessions_app.models import Session, SessionStatus  # noqa: E402

TZ = zoneinfo.ZoneInfo(seeding.TZ)
DAYS = 90
SERVICE_MINUTES = 50
STEP_MINUTES = 15
PACKED = 5000
# django-appointment, 90 days of slots on comparable data (issue 13): queries and seconds on this machine class.
PEER_QUERIES, PEER_SECONDS = 1390, 0.7
TARGET_QUERIES, TARGET_SPEEDUP = 6, 3.0


def add_practitioner(practice):
    """A new practitioner with weekly hours Monday to Friday 09:00-17:00 in the large practice."""
    email = f"slots@{seeding.SLUG}.test"
    remove_practitioner(email)
    host = User.objects.create_user(email, None, first_name="Slots", last_name="Bench", time_zone=seeding.TZ)
    Membership.objects.create(user=host, practice=practice, role=Role.PRACTITIONER)
    WeeklyHours.objects.bulk_create(WeeklyHours(practice=practice, practitioner=host, weekday=day, start_time=wall(9),
                                                end_time=wall(17)) for day in range(5))
    return host


def remove_practitioner(email):
    Session.objects.filter(practitioner__email=email).delete()
    User.objects.filter(email=email).delete()


def pack_sessions(practice, host, window_start, count, seed=13):
    """``count`` sessions from ``window_start`` on, back to back (15-25 minutes, 0-5 minutes apart),
    with a 65-minute gap before about one in fifteen: a 50-minute slot on the 15-minute grid fits
    in such a gap when it falls in the weekly hours. Returns the last end."""
    rng = random.Random(seed)
    taken = set(Session.objects.filter(status=SessionStatus.SCHEDULED).values_list("access_code", flat=True))
    codes = []
    while len(codes) < count:
        code = seeding.unique_codes(1)[0]
        if code not in taken:
            taken.add(code)
            codes.append(code)
    rows, cursor = [], window_start
    for n in range(count):
        cursor += timedelta(minutes=65 if rng.random() < 1 / 15 else rng.choice((0, 0, 5)))
        end = cursor + timedelta(minutes=rng.choice((15, 15, 20, 25)))
        rows.append(Session(practice=practice, practitioner=host, start=cursor, end=end, time_zone=seeding.TZ,
                            access_code=codes[n], created_by=host))
        cursor = end
    Session.objects.bulk_create(rows, batch_size=seeding.BATCH)
    return cursor


def baseline(host, window_start, window_end):
    return list(Session.objects.filter(practitioner=host, start__lt=window_end, end__gt=window_start)
                .exclude(status=SessionStatus.CANCELED).values_list("start", "end"))


def free_slots(practice, host, window_start, window_end):
    return slots(practice=practice, practitioner=host, minutes=SERVICE_MINUTES, window_start=window_start, window_end=window_end)


def measure(practice, host, window_start, window_end, runs):
    """Median seconds of the baseline and of slots(), interleaved; the query count of one slots() call."""
    rows, found = baseline(host, window_start, window_end), free_slots(practice, host, window_start, window_end)  # warm up
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        free_slots(practice, host, window_start, window_end)
    base_times, slot_times = [], []
    for _ in range(runs):
        started = time.perf_counter()
        baseline(host, window_start, window_end)
        base_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        free_slots(practice, host, window_start, window_end)
        slot_times.append(time.perf_counter() - started)
    return len(rows), len(found), counter.count, statistics.median(slot_times), statistics.median(base_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--reuse", action="store_true", help="keep a large practice seeded earlier")
    args = parser.parse_args()
    if not (args.reuse and Practice.objects.filter(slug=seeding.SLUG).exists()):
        started = time.perf_counter()
        seeding.delete_previous()
        seeding.seed()
        print(f"seeded the large practice in {time.perf_counter() - started:.1f} s")
    practice = Practice.objects.get(slug=seeding.SLUG)
    practice.booking_slot_step_minutes, practice.booking_horizon_days = STEP_MINUTES, DAYS + 10
    practice.booking_min_notice_hours = 24
    practice.booking_buffer_before_minutes = practice.booking_buffer_after_minutes = 0
    practice.save()
    host = add_practitioner(practice)
    first = date.today() + timedelta(days=2)
    window_start = datetime.combine(first, wall(0), tzinfo=TZ)
    window_end = datetime.combine(first + timedelta(days=DAYS), wall(0), tzinfo=TZ)
    total = Session.objects.filter(practice=practice).count()

    print(f"availability.slots: {DAYS} days ({first} to {first + timedelta(days=DAYS - 1)}), practice of {total:,} sessions")
    print(f"practitioner: Mon-Fri 09:00-17:00 {seeding.TZ}, {SERVICE_MINUTES}-minute service, {STEP_MINUTES}-minute step; "
          f"medians of {args.runs} runs, interleaved with the baseline")
    print("baseline: the window's (start, end) rows of the practitioner's sessions, one values_list query")
    print(f"  {'case':<32}{'sessions':>9}{'slots':>7}{'queries':>9}{'median ms':>11}{'baseline ms':>13}{'ratio':>8}")
    results = []
    try:
        for label, packed in (("(a) none in the window", 0), (f"(b) {PACKED:,} in the window", PACKED)):
            if packed:
                last_end = pack_sessions(practice, host, window_start + timedelta(hours=1), packed)
                assert last_end <= window_end, last_end
            sessions, found, queries, median, base = measure(practice, host, window_start, window_end, args.runs)
            results.append((label, queries, median))
            print(f"  {label:<32}{sessions:>9,}{found:>7}{queries:>9}{median * 1000:>11.1f}{base * 1000:>13.1f}{median / base:>7.1f}x")
    finally:
        remove_practitioner(host.email)

    print(f"django-appointment, {DAYS} days on comparable data (issue 13): {PEER_QUERIES:,} queries, "
          f"~{PEER_SECONDS} s on this machine class")
    met = True
    for label, queries, median in results:
        speedup = PEER_SECONDS / median
        met &= queries <= TARGET_QUERIES and speedup >= TARGET_SPEEDUP
        print(f"  {label:<32}{queries:>3} queries, {median * 1000:.1f} ms = {speedup:.0f}x faster than {PEER_SECONDS} s")
    print(f"target: <= {TARGET_QUERIES} queries and >= {TARGET_SPEEDUP:.0f}x faster than {PEER_SECONDS} s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
