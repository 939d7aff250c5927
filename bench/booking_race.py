"""A booking race over HTTP against gunicorn's threaded workers: many clients post one slot at once.

    .venv/bin/python bench/booking_race.py [--rounds 10] [--concurrency 20] [--workers 1] [--threads 8]
                                           [--port 8765] [--source DIR] [--hold SECONDS]

Starts ``gunicorn -k gthread --threads 8 practice.wsgi`` on 127.0.0.1 (the code under ``--source``,
this checkout by default: point it at an export of an older commit to compare), against the
database of DATABASE_URL. Each round, ``--concurrency`` logged-in clients post the session form
for the same practitioner, room and time at the same moment (a barrier); every round is another
day. Prints what the clients got: saved (302), each conflict message, 500s and anything else, and
checks that each slot holds exactly one session. Issue 11, item 8: losers must read the conflict
message, never "deadlock detected while checking exclusion constraint" as a 500. That deadlock
needs two inserts to land in the constraint's index before either checks it: rare on a small
machine. ``--hold 1`` makes it certain: an uncommitted session holds the slot while the posts
arrive, and when it rolls back they all recheck at once.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import requests  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from practice.errors import CONSTRAINT_MESSAGES  # noqa: E402
from practice.models import Membership, Practice, Role, Room, Service, User  # noqa: E402
from sessions_app.models import Session, SessionStatus  # noqa: E402

SLUG = "bench-race"
PASSWORD = "bench-pass-2026"
KNOWN = {
    CONSTRAINT_MESSAGES["no_double_booking_practitioner"][1]: "conflict: practitioner",
    CONSTRAINT_MESSAGES["no_double_booking_room"][1]: "conflict: room",
    # The lost-race words (practice.errors.LOST_RACE) once that exists; absent on older commits.
    "Someone else booked that time a moment ago.": "conflict: lost race",
}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def seed():
    seeding.delete_previous(SLUG)
    practice = Practice.objects.create(name="Race Bench", slug=SLUG, time_zone=seeding.TZ)
    staff = User.objects.create_user(f"staff@{SLUG}.test", PASSWORD, first_name="Staff", last_name="Bench")
    host = User.objects.create_user(f"host@{SLUG}.test", PASSWORD, first_name="Host", last_name="Bench")
    Membership.objects.create(user=staff, practice=practice, role=Role.STAFF)
    Membership.objects.create(user=host, practice=practice, role=Role.PRACTITIONER)
    service = Service.objects.create(practice=practice, cpt_code="90834", name="Psychotherapy, 45 min", price=130,
                                     duration_minutes=45)
    room = Room.objects.create(practice=practice, name="Room 1", kind="in_person")
    return practice, staff, host, service, room


def start_server(source, port, workers, threads):
    command = [str(ROOT / ".venv/bin/gunicorn"), "-k", "gthread", "--threads", str(threads), "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "--chdir", str(source), "--log-level", "warning", "practice.wsgi"]
    server = subprocess.Popen(command, cwd=source, env=os.environ.copy())
    for _ in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    server.wait(timeout=30)
    raise SystemExit("gunicorn did not start")


def logged_in(base, staff):
    """An HTTP session carrying the staff member's login and a CSRF token."""
    django_client = Client()
    django_client.force_login(staff)
    http = requests.Session()
    http.cookies.set("sessionid", django_client.cookies["sessionid"].value, domain="127.0.0.1")
    page = http.get(f"{base}/sessions/new/", timeout=30).text
    return http, TOKEN.search(page).group(1)


def form(host, service, room, day, index, token):
    return {
        "csrfmiddlewaretoken": token, "kind": "regular", "practitioner": host.pk, "room": room.pk,
        "delivery_method": "in_person", "day": day, "start_time": "10:00", "time_zone": seeding.TZ,
        "duration_minutes": "45", "public_note": "", "private_note": "",
        "participants-TOTAL_FORMS": 1, "participants-INITIAL_FORMS": 0, "participants-MIN_NUM_FORMS": 1,
        "participants-MAX_NUM_FORMS": 50, "participants-0-name": f"Caller {index}",
        "participants-0-invite_method": "none", "participants-0-time_zone": seeding.TZ, "participants-0-is_client": "True",
        "services-TOTAL_FORMS": 1, "services-INITIAL_FORMS": 0, "services-MIN_NUM_FORMS": 0, "services-MAX_NUM_FORMS": 10,
        "services-0-service": service.pk, "services-0-price": "",
    }


def hold(practice, host, room, day, barrier, seconds):
    """An uncommitted session in the slot while the posts arrive; rolled back after ``seconds``."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=10), tzinfo=ZoneInfo(seeding.TZ))
    try:
        with transaction.atomic():
            Session.objects.create(practice=practice, practitioner=host, room=room, start=start,
                                   end=start + timedelta(minutes=45), time_zone=seeding.TZ)
            barrier.wait()
            time.sleep(seconds)
            transaction.set_rollback(True)
    finally:
        connection.close()


def outcome(response):
    if response.status_code == 302:
        return "saved (302)"
    if response.status_code == 200:
        for words, name in KNOWN.items():
            if words in response.text:
                return name
        return "200, other"
    return f"{response.status_code}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--source", default=str(ROOT), help="the checkout gunicorn serves (default: this one)")
    parser.add_argument("--hold", type=float, default=0,
                        help="seconds an uncommitted session holds the slot before rolling back, so that every "
                             "post waits on it and all recheck the constraint at once (the deadlock-prone moment)")
    args = parser.parse_args()

    practice, staff, host, service, room = seed()
    server = start_server(Path(args.source).resolve(), args.port, args.workers, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    counts, times, lock = Counter(), [], threading.Lock()
    first_day = timezone.localdate() + timedelta(days=8)
    try:
        clients = [logged_in(base, staff) for _ in range(args.concurrency)]
        for round_index in range(args.rounds):
            day = (first_day + timedelta(days=round_index)).isoformat()
            barrier = threading.Barrier(args.concurrency + (1 if args.hold else 0))

            def post(index, day=day, barrier=barrier):
                http, token = clients[index]
                data = form(host, service, room, day, index, token)
                barrier.wait()
                started = time.perf_counter()
                try:
                    response = http.post(f"{base}/sessions/new/", data=data, allow_redirects=False, timeout=120)
                    result = outcome(response)
                except requests.RequestException as error:
                    result = f"no answer ({type(error).__name__})"
                with lock:
                    counts[result] += 1
                    times.append(time.perf_counter() - started)

            threads = [threading.Thread(target=post, args=(i,)) for i in range(args.concurrency)]
            if args.hold:
                threads.append(threading.Thread(target=hold, args=(practice, host, room, day, barrier, args.hold)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    live = Session.objects.filter(practice=practice).exclude(status=SessionStatus.CANCELED)
    per_day = Counter(s.start.date() for s in live)
    posts = args.rounds * args.concurrency
    print(f"server:       gunicorn -k gthread --threads {args.threads} -w {args.workers}, code from {args.source}")
    held = f", the slot held {args.hold:g} s by an uncommitted session" if args.hold else ""
    print(f"posts:        {posts} ({args.rounds} rounds of {args.concurrency} at once, one slot per round{held})")
    for name, count in sorted(counts.items()):
        print(f"  {name:<22} {count:>4}")
    losers = posts - counts["saved (302)"]
    errors = sum(c for name, c in counts.items() if not name.startswith(("saved", "conflict")))
    print(f"losers answered other than a conflict message: {errors} of {losers}")
    print(f"slots with exactly one session: {sum(1 for c in per_day.values() if c == 1)} of {args.rounds}"
          f" (live sessions: {live.count()})")
    times.sort()
    print(f"median:       {times[len(times) // 2] * 1000:.0f} ms; max {times[-1] * 1000:.0f} ms")
    seeding.delete_previous(SLUG)


if __name__ == "__main__":
    main()
