"""Billing figures: bulk-saving sessions, and rendering one client's invoice.

    .venv/bin/python bench/billing.py [--sessions 1000] [--runs 20] [--keep]

Seeds its own practice (slug ``bench-billing``; an earlier one is removed first,
and this one after the run unless ``--keep``), then prints:

(a) the time and SQL query count to save N past sessions at once with
    ``completion.save_sessions`` (each: one service, one client, outcome Completed);
(b) the median server time and query count to render one client's invoice, as
    HTML and as PDF, for a year of weekly sessions (52 saved sessions).

Requests go through Django's test client in this process: server time
(middleware, views, SQL, templates, PDF), without the network.
"""
import argparse
import os
import secrets
import statistics
import sys
import time
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

import django  # noqa: E402

from practice import embedded  # noqa: E402

embedded.ensure_started()  # when DATABASE_URL / REDIS_URL are unset
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402
from billing.models import LedgerEntry  # noqa: E402
from practice.models import Membership, Practice, Role, Room, Service, User  # noqa: E402
from sessions_app import completion  # noqa: E402
from sessions_app.models import (  # noqa: E402
    CompletionType,
    Contact,
    InviteMethod,
    Participant,
    Session,
    SessionService,
)

SLUG = "bench-billing"
TZ = "America/New_York"
PRACTITIONERS = 5


def delete_previous(slug=SLUG):
    seeding.delete_previous(slug)


def unique_codes(count):
    codes = set()
    while len(codes) < count:
        codes.add(f"{secrets.randbelow(10**9):09d}")
    return list(codes)


def weekdays(first: date, count: int):
    day = first
    while count:
        if day.weekday() < 5:
            yield day
            count -= 1
        day += timedelta(days=1)


@transaction.atomic
def seed(sessions: int, year: int):
    """The practice, its people, ``sessions`` past sessions spread over the practitioners, and
    52 weekly sessions of the invoice client (Mondays at 17:00 with host0)."""
    zone = zoneinfo.ZoneInfo(TZ)
    password = make_password("bench-pass-2026")
    practice = Practice.objects.create(name="Billing Bench Practice", slug=SLUG, time_zone=TZ, support_email=f"support@{SLUG}.test")
    hosts = User.objects.bulk_create(
        User(email=f"host{i}@{SLUG}.test", first_name="Host", last_name=f"{i:02d}", time_zone=TZ, password=password)
        for i in range(PRACTITIONERS)
    )
    people = User.objects.bulk_create(
        User(email=f"client{i}@{SLUG}.test", first_name="Client", last_name=f"{i:04d}", time_zone=TZ, password=password)
        for i in range(200)
    )
    staff = User.objects.create(email=f"staff@{SLUG}.test", first_name="Staff", last_name="Bench", time_zone=TZ, password=password)
    Membership.objects.bulk_create(
        [Membership(user=u, practice=practice, role=Role.PRACTITIONER) for u in hosts]
        + [Membership(user=u, practice=practice, role=Role.CLIENT) for u in people]
        + [Membership(user=staff, practice=practice, role=Role.STAFF)]
    )
    service = Service.objects.create(practice=practice, cpt_code="90837", name="Psychotherapy, 60 min",
                                     price=Decimal("175.00"), duration_minutes=50)
    rooms = Room.objects.bulk_create(Room(practice=practice, name=f"Office {i + 1}") for i in range(PRACTITIONERS))
    contacts = Contact.objects.bulk_create(
        Contact(practice=practice, owner=hosts[i % PRACTITIONERS], client=person, name=person.get_full_name(),
                email=person.email, time_zone=TZ, invite_method=InviteMethod.EMAIL)
        for i, person in enumerate(people)
    )
    per_host = -(-sessions // PRACTITIONERS)
    days = list(weekdays(date(year, 1, 1), per_host))
    rows = []  # (host index, client index, local start)
    for i in range(sessions):
        host, slot = i % PRACTITIONERS, i // PRACTITIONERS
        rows.append((host, 1 + (i * 7) % (len(people) - 1), datetime.combine(days[slot], datetime.min.time(), tzinfo=zone).replace(hour=9)))
    monday = date(year, 1, 1) + timedelta(days=(7 - date(year, 1, 1).weekday()) % 7)
    invoice_rows = [(0, 0, datetime.combine(monday + timedelta(weeks=w), datetime.min.time(), tzinfo=zone).replace(hour=17))
                    for w in range(52)]
    codes = unique_codes(len(rows) + len(invoice_rows))
    made = Session.objects.bulk_create(
        Session(practice=practice, practitioner=hosts[h], room=rooms[h], room_is_in_person=True, start=start,
                end=start + timedelta(minutes=50), time_zone=TZ, access_code=codes[n], created_by=hosts[h])
        for n, (h, _, start) in enumerate(rows + invoice_rows)
    )
    SessionService.objects.bulk_create(SessionService(session=s, service=service, price=service.price) for s in made)
    Participant.objects.bulk_create(
        Participant(session=s, client=people[c], contact=contacts[c], name=people[c].get_full_name(),
                    email=people[c].email, time_zone=TZ, invite_method=InviteMethod.EMAIL)
        for s, (_, c, _) in zip(made, rows + invoice_rows, strict=True)
    )
    return practice, staff, people[0], made[:len(rows)], made[len(rows):]


class QueryCounter:
    """Counts every query (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def save_all(practice, sessions):
    admin = Membership.objects.filter(practice=practice, role=Role.STAFF).select_related("user").get()
    completed = CompletionType.objects.get(practice=practice, default_key="completed")
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        saved = completion.save_sessions(practice=practice, actor=admin.user, membership=admin, sessions=sessions,
                                         outcome=completion.Outcome(completed))
        elapsed = time.perf_counter() - started
    return saved, elapsed, counter.count


def measure(client, path, runs):
    client.get(path)  # warm up
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000, len(queries.captured_queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the bench practice afterwards")
    args = parser.parse_args()
    setup_test_environment()
    year = date.today().year - 1

    delete_previous()
    try:
        started = time.perf_counter()
        practice, staff, invoice_client, bulk, weekly = seed(args.sessions, year)
        print(f"seeded {len(bulk) + len(weekly)} sessions in {time.perf_counter() - started:.1f} s")

        saved, elapsed, queries = save_all(practice, bulk)
        print(f"(a) save_sessions: {saved} sessions in {elapsed:.2f} s "
              f"({elapsed / saved * 1000:.1f} ms each), {queries} SQL queries ({queries / saved:.1f} per session)")
        save_all(practice, weekly)
        lines = LedgerEntry.objects.filter(practice=practice).count()

        client = Client()
        client.force_login(staff)
        query = f"?from={year}-01-01&to={year}-12-31"
        print(f"(b) invoice of {invoice_client.get_full_name()} for {year}: 52 weekly sessions; {lines} ledger lines in the practice")
        print(f"    {'page':<14}{'median ms':>10}{'queries':>9}{'bytes':>9}")
        for label, name in (("invoice HTML", "billing:invoice"), ("invoice PDF", "billing:invoice_pdf")):
            path = reverse(name, args=["u", invoice_client.pk]) + query
            median_ms, count, size = measure(client, path, args.runs)
            print(f"    {label:<14}{median_ms:>10.1f}{count:>9}{size:>9}")
        path = reverse("billing:clients")
        median_ms, count, size = measure(client, path, args.runs)
        print(f"    {'client list':<14}{median_ms:>10.1f}{count:>9}{size:>9}   (200 accounts, page of 50)")
    finally:
        if not args.keep:
            delete_previous()


if __name__ == "__main__":
    main()
