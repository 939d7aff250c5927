"""Seed a large practice for reviews and benchmarks, and print how long it took.

    .venv/bin/python bench/seed_large_practice.py [--practitioners 20] [--clients 2000] [--sessions 50000]

The practice has the slug ``bench-large``; an earlier one is deleted first.
Sessions span two years (one back, one ahead), weekdays, in each practitioner's
own in-person room, so none overlaps (the database would refuse it).
"""
import argparse
import os
import secrets
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

from practice.models import Membership, Practice, Role, Room, Service, User  # noqa: E402
from sessions_app.models import Contact, InviteMethod, Participant, Session, SessionSeries, SessionService  # noqa: E402

SLUG = "bench-large"
TZ = "America/New_York"
SLOT_HOURS = [9, 10, 11, 13, 14, 15, 16]
BATCH = 5000


def delete_previous(slug=SLUG):
    """Remove a bench practice; its ledger lines first (the ledger refuses DELETE unless purging is on)."""
    from billing.models import Payment, Refund, StripeEvent

    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        return
    user_ids = list(Membership.objects.filter(practice=practice).values_list("user_id", flat=True))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL billing.purge_ledger = 'on'")
            cursor.execute("DELETE FROM billing_ledgerentry WHERE practice_id = %s", [practice.pk])
        Refund.objects.filter(payment__practice=practice).delete()
        Payment.objects.filter(practice=practice).delete()
        StripeEvent.objects.filter(practice=practice).delete()
        Session.objects.filter(practice=practice).delete()
        SessionSeries.objects.filter(practice=practice).delete()
        practice.delete()
        User.objects.filter(pk__in=user_ids, email__endswith=f"@{slug}.test").delete()


def unique_codes(count):
    codes = set()
    while len(codes) < count:
        codes.add(f"{secrets.randbelow(10**9):09d}")
    return list(codes)


@transaction.atomic
def seed(practitioners=20, clients=2000, sessions=50000, slug=SLUG, name="Large Bench Practice", first_day=None):
    zone = zoneinfo.ZoneInfo(TZ)
    password = make_password("bench-pass-2026")
    practice = Practice.objects.create(name=name, slug=slug, time_zone=TZ, support_email=f"support@{slug}.test")
    hosts = User.objects.bulk_create(
        User(email=f"host{i}@{slug}.test", first_name="Host", last_name=f"{i:02d}", time_zone=TZ, password=password)
        for i in range(practitioners)
    )
    people = User.objects.bulk_create(
        User(email=f"client{i}@{slug}.test", first_name="Client", last_name=f"{i:04d}", time_zone=TZ, password=password)
        for i in range(clients)
    )
    Membership.objects.bulk_create(
        [Membership(user=u, practice=practice, role=Role.PRACTITIONER) for u in hosts]
        + [Membership(user=u, practice=practice, role=Role.CLIENT) for u in people]
    )
    service = Service.objects.create(practice=practice, cpt_code="90837", name="Psychotherapy, 60 min", price=Decimal("175.00"),
                                     duration_minutes=50)
    rooms = Room.objects.bulk_create(Room(practice=practice, name=f"Office {i + 1}") for i in range(practitioners))
    contacts = Contact.objects.bulk_create(
        Contact(
            practice=practice, owner=hosts[i % practitioners], client=person, name=person.get_full_name(),
            email=person.email, time_zone=TZ, invite_method=InviteMethod.EMAIL,
        )
        for i, person in enumerate(people)
    )

    first_day = first_day or date.today() - timedelta(days=365)
    days = [first_day + timedelta(days=n) for n in range(731) if (first_day + timedelta(days=n)).weekday() < 5]
    per_host = sessions // practitioners
    codes = unique_codes(sessions)
    rows, links = [], []
    for h, host in enumerate(hosts):
        slots = ((day, hour) for day in days for hour in SLOT_HOURS)
        for n in range(per_host):
            day, hour = next(slots)
            start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            contact = contacts[(h + n * practitioners) % clients]
            rows.append(Session(
                practice=practice, practitioner=host, room=rooms[h], room_is_in_person=True, start=start,
                end=start + timedelta(minutes=50), time_zone=TZ, access_code=codes[len(rows)], created_by=host,
            ))
            links.append(contact)
    created = []
    for i in range(0, len(rows), BATCH):
        created += Session.objects.bulk_create(rows[i:i + BATCH])
    Participant.objects.bulk_create(
        (Participant(session=s, contact=c, client=c.client, name=c.name, email=c.email, time_zone=TZ, invite_method=InviteMethod.EMAIL)
         for s, c in zip(created, links, strict=True)),
        batch_size=BATCH,
    )
    SessionService.objects.bulk_create((SessionService(session=s, service=service, price=service.price) for s in created), batch_size=BATCH)
    return practice


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practitioners", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=50000)
    args = parser.parse_args()
    started = time.perf_counter()
    delete_previous()
    cleared = time.perf_counter()
    practice = seed(args.practitioners, args.clients, args.sessions)
    done = time.perf_counter()
    print(f"practice:      {practice.name} (slug {practice.slug})")
    print(f"practitioners: {Membership.objects.filter(practice=practice, role=Role.PRACTITIONER).count()}")
    print(f"clients:       {Membership.objects.filter(practice=practice, role=Role.CLIENT).count()}")
    print(f"sessions:      {Session.objects.filter(practice=practice).count()}")
    print(f"cleared old:   {cleared - started:.1f} s")
    print(f"seeded in:     {done - cleared:.1f} s")


if __name__ == "__main__":
    main()
