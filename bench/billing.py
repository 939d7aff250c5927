"""Billing figures: bulk-saving sessions, and rendering one client's invoice.

    .venv/bin/python bench/billing.py [--sessions 1000] [--runs 20] [--keep]

Seeds its own practice (slug ``bench-billing``; an earlier one is removed first,
and this one after the run unless ``--keep``), then prints:

(a) saving N past sessions at once with ``completion.save_sessions`` (each: one
    service, one client, outcome Completed) against a baseline in the same run: one
    set-based statement chain writing the same ledger lines and row updates
    (``save_baseline``); interleaved for ``--rounds`` rounds, each on a fresh batch
    (made before and dropped after, outside the timed part), medians, printed as a
    ratio with bench/ratio.py (issue 17 target: 5x), with the work's SQL query count;
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
from django.utils import timezone  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402
from bench.ratio import QueryCounter, Row, report  # noqa: E402
from billing import ledger  # noqa: E402
from billing.models import LedgerEntry  # noqa: E402
from notifications.models import Notification  # noqa: E402
from practice.models import Membership, Practice, PractitionerWage, Role, Room, Service, User  # noqa: E402
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
def seed(year: int):
    """The practice, its people, and 52 weekly sessions of the invoice client (Mondays at 17:00 with host0).

    The sessions bulk-saved in (a) are made fresh for each run by ``make_batch``."""
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
    world = {"practice": practice, "hosts": hosts, "people": people, "contacts": contacts, "rooms": rooms,
             "service": service, "year": year}
    monday = date(year, 1, 1) + timedelta(days=(7 - date(year, 1, 1).weekday()) % 7)
    weekly = _sessions(world, [(0, 0, datetime.combine(monday + timedelta(weeks=w), datetime.min.time(), tzinfo=zone).replace(hour=17))
                               for w in range(52)])
    return world, staff, people[0], weekly


def _sessions(world, rows):
    """Past sessions (host index, client index, local start), each with the service and its client."""
    hosts, rooms, people, contacts, service = world["hosts"], world["rooms"], world["people"], world["contacts"], world["service"]
    codes = unique_codes(len(rows))
    made = Session.objects.bulk_create(
        Session(practice=world["practice"], practitioner=hosts[h], room=rooms[h], room_is_in_person=True, start=start,
                end=start + timedelta(minutes=50), time_zone=TZ, access_code=codes[n], created_by=hosts[h])
        for n, (h, _, start) in enumerate(rows)
    )
    SessionService.objects.bulk_create(SessionService(session=s, service=service, price=service.price) for s in made)
    Participant.objects.bulk_create(
        Participant(session=s, client=people[c], contact=contacts[c], name=people[c].get_full_name(),
                    email=people[c].email, time_zone=TZ, invite_method=InviteMethod.EMAIL)
        for s, (_, c, _) in zip(made, rows, strict=True)
    )
    return made


def make_batch(world, sessions: int):
    """``sessions`` fresh past sessions spread over the practitioners (weekdays at 9:00 in the bench's year)."""
    zone = zoneinfo.ZoneInfo(TZ)
    per_host = -(-sessions // PRACTITIONERS)
    days = list(weekdays(date(world["year"], 1, 1), per_host))
    rows = []
    for i in range(sessions):
        host, slot = i % PRACTITIONERS, i // PRACTITIONERS
        rows.append((host, 1 + (i * 7) % (len(world["people"]) - 1),
                     datetime.combine(days[slot], datetime.min.time(), tzinfo=zone).replace(hour=9)))
    return _sessions(world, rows)


def drop_batch(sessions):
    """Outside the timed part: remove a batch and everything its save wrote (ledger lines included)."""
    ids = [s.pk for s in sessions]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL billing.purge_ledger = 'on'")
        cursor.execute("DELETE FROM billing_ledgerentry WHERE session_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM notifications_notification WHERE session_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM sessions_app_participant WHERE session_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM sessions_app_sessionservice WHERE session_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM sessions_app_session WHERE id = ANY(%s)", [ids])


def staff_and_completed(practice):
    staff = Membership.objects.filter(practice=practice, role=Role.STAFF).select_related("user").get()
    return staff, CompletionType.objects.get(practice=practice, default_key="completed")


def save_work(practice, sessions):
    """The work: the bulk save the session list's "Save" runs (``completion.save_sessions``)."""
    staff, completed = staff_and_completed(practice)
    return completion.save_sessions(practice=practice, actor=staff.user, membership=staff, sessions=sessions,
                                    outcome=completion.Outcome(completed))


def save_baseline(practice, sessions):
    """The baseline: one set-based chain writing the same ledger lines and the same row updates: lock the
    sessions in one statement, read their services, wage rules and clients, compute in Python, then one
    INSERT of every charge and wage, one UPDATE ... FROM VALUES of the clients' snapshots, one UPDATE of
    the sessions and one of their pending reminders."""
    staff, completed = staff_and_completed(practice)
    ids = [s.pk for s in sessions]
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    with transaction.atomic():
        locked = {s.pk: s for s in Session.objects.filter(pk__in=ids).order_by("pk").select_for_update()}
        services = {}
        for line in SessionService.objects.filter(session_id__in=ids).select_related("service").order_by("position", "pk"):
            services.setdefault(line.session_id, []).append(line)
        wages = {(w.practitioner_id, w.service_id): w for w in PractitionerWage.objects.filter(practice=practice)}
        clients = list(Participant.objects.filter(session_id__in=ids, is_client=True).order_by("pk"))
        lines, snapshots = [], []
        for person in clients:
            session = locked[person.session_id]
            fee = wage = Decimal("0")
            for line in services.get(session.pk, []):
                fee += line.price
                rule = wages.get((session.practitioner_id, line.service_id)) or line.service
                wage += rule.wage_amount if rule.wage_kind == "fixed" else line.price * rule.wage_amount / 100
            charge = ledger.money(fee * completed.client_modifier / 100, practice.currency)
            pay = ledger.money(wage * completed.practitioner_modifier / 100, practice.currency)
            codes = ", ".join(line.service.cpt_code for line in services.get(session.pk, [])) or "Session"
            common = dict(practice_id=practice.pk, currency=practice.currency, session_id=session.pk, participant_id=person.pk,
                          practitioner_id=session.practitioner_id, service_date=session.start.astimezone(zone).date(),
                          created_by_id=staff.user.pk, **ledger.client_fields(person))
            lines.append(LedgerEntry(kind="charge", amount=charge, label=f"{codes} · {completed.label}", **common))
            lines.append(LedgerEntry(kind="wage", amount=pay, label=f"{codes} · {completed.label} · {person.name}", **common))
            snapshots.append((person.pk, charge, pay))
        LedgerEntry.objects.bulk_create(lines)
        with connection.cursor() as cursor:
            values = ", ".join(["(%s, %s::numeric, %s::numeric)"] * len(snapshots))
            cursor.execute(
                "UPDATE sessions_app_participant p SET completion_type_id = %s, completion_status = %s, completion_label = %s, "
                "modifier_type = %s, completed_at = %s, completed_by_id = %s, client_amount = v.charge, "
                f"practitioner_amount = v.pay FROM (VALUES {values}) AS v(id, charge, pay) WHERE p.id = v.id",
                [completed.pk, completed.map_status, completed.label, completed.modifier_type, now, staff.user.pk]
                + [x for row in snapshots for x in row],
            )
        Session.objects.filter(pk__in=ids).update(status=completed.map_status, completion_label=completed.label, updated_at=now)
        Notification.objects.filter(session_id__in=ids, state="pending",
                                    kind__in=["reminder", "invite", "reschedule"]).update(state="canceled", updated_at=now)
    return len({p.session_id for p in clients})


def bulk_save_row(world, sessions: int, rounds: int) -> Row:
    """(a) as a ratio: the work and its baseline, interleaved for ``rounds`` rounds after a small warm-up,
    each on a fresh batch (made before and dropped after, outside the timed part); medians."""
    practice = world["practice"]
    for function in (save_baseline, save_work):  # warm-up
        batch = make_batch(world, 20)
        function(practice, batch)
        drop_batch(batch)
    work_times, base_times, queries = [], [], []
    for _ in range(rounds):
        batch = make_batch(world, sessions)
        started = time.perf_counter()
        base_saved = save_baseline(practice, batch)
        base_times.append(time.perf_counter() - started)
        expected = ledger_of(batch)
        drop_batch(batch)
        batch = make_batch(world, sessions)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            saved = save_work(practice, batch)
            work_times.append(time.perf_counter() - started)
        queries.append(counter.count)
        assert saved == base_saved == sessions, (saved, base_saved)
        assert ledger_of(batch) == expected, "the work and the baseline wrote different ledgers"
        drop_batch(batch)
    count = int(statistics.median(queries))
    return Row(f"bulk save of {sessions:,} sessions", statistics.median(work_times), statistics.median(base_times),
               target=5.0, queries=count, note=f"{count / sessions:.2f} queries/session, {rounds} rounds")


def ledger_of(batch):
    """The batch's ledger lines, comparable between two batches made alike (their row ids apart)."""
    order = {s.pk: n for n, s in enumerate(batch)}
    return sorted((order[line.session_id], line.kind, line.amount, line.currency, line.label, line.client_id, line.contact_id,
                   line.client_name, line.practitioner_id, line.service_date)
                  for line in LedgerEntry.objects.filter(session__in=batch))


def save_all(practice, sessions):
    return save_work(practice, sessions)


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
    parser.add_argument("--rounds", type=int, default=3, help="(a): interleaved rounds, each on fresh sessions (medians)")
    parser.add_argument("--keep", action="store_true", help="keep the bench practice afterwards")
    parser.add_argument("--only-bulk", action="store_true", help="run (a) only")
    args = parser.parse_args()
    setup_test_environment()
    year = date.today().year - 1

    delete_previous()
    try:
        started = time.perf_counter()
        world, staff, invoice_client, weekly = seed(year)
        practice = world["practice"]
        print(f"seeded {len(weekly)} sessions in {time.perf_counter() - started:.1f} s")

        report([bulk_save_row(world, args.sessions, args.rounds)],
               title="(a) bulk save: completion.save_sessions vs a set-based chain writing the same ledger (interleaved, medians)")
        if args.only_bulk:
            return
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
