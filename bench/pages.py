"""Issue 17, four page rows: calendar events, the wages report, client balances, the sessions list's last page.

    .venv/bin/python bench/pages.py [--runs 20] [--reuse]

Each row is the product's page, asked through Django's test Client (every middleware, the real
URLconf, the logged-in staff member or practitioner), timed side by side with a *baseline* asked
through the same Client, the same middleware and the same login (bench/ratio.py: interleaved,
medians). The baselines are bare view functions defined here and mounted under ``/bench-base/`` by
this module's own URLconf, which also includes the whole product URLconf (``practice.urls``), so
the only difference between a row's two requests is the view. Each baseline is the least any
implementation must do for the same answer:

- calendar events: one ``values()`` query of the same sessions (same practice, range and
  practitioner filter, participants' names aggregated in the same query) and ``JsonResponse`` of
  the same keys per event (id, title, start, end, url, color, ...), LIMITed to the number of
  sessions the work answered (so a capped answer is compared with a capped baseline);
  the bench practice has no closures, so neither answer has closure events.
- wages: one ``values()`` query of the wage lines the page shows (the period's current lines, by
  practitioner and date), LIMITed to the number of lines the page shows, and a minimal HTML table
  of them rendered by one template string. (It does not compute the per-practitioner totals.)
- client balances: one grouped ``values()`` query summing charges, payments and balance of
  exactly the accounts the page shows (their keys are looked up once before timing, outside both
  timers), and a minimal HTML table.
- sessions list, last page: one ``values()`` query of the last page's rows (the default filter:
  from today on; ``ORDER BY start DESC, id DESC LIMIT n`` with ``n`` the rows the page shows,
  practitioner and room names joined) and a minimal HTML table.

Data: the large practice of bench/seed_large_practice.py (20 practitioners, 2,000 clients,
50,000 sessions), plus, written once by this script: a charge and a wage ledger line (and a card
payment for every other one) for each past session, as ``billing.ledger.post_outcome`` writes
them (so last month has ~3,000 wage lines); a "busy" practitioner with 400 sessions in the month
after next; a staff member. ``--reuse`` keeps all of that from an earlier run.
"""
import argparse
import os
import re
import sys
import time
import zoneinfo
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

from django.contrib.postgres.aggregates import StringAgg  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q, Sum  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import escape  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from bench.ratio import compare, count_queries, report  # noqa: E402
from billing.models import EntryKind, LedgerEntry  # noqa: E402
from practice.models import Membership, Practice, Role, User  # noqa: E402
from sessions_app.models import Participant, Session, SessionStatus  # noqa: E402

TZ = zoneinfo.ZoneInfo(seeding.TZ)
STAFF_EMAIL = f"office@{seeding.SLUG}.test"
BUSY_EMAIL = f"busy@{seeding.SLUG}.test"

# --- the baselines ---------------------------------------------------------------------------------



def table(rows):
    """A minimal HTML table of ``rows`` (dicts), every value escaped: one <tr> per row, one <td> per value."""
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r.values()) + "</tr>" for r in rows)
    return HttpResponse(f"<table>{body}</table>")

COLORS = {"scheduled": "#0d6efd", "completed": "#198754", "canceled": "#6c757d", "missed": "#dc3545"}


def base_events(request):
    start, end = datetime.fromisoformat(request.GET["start"]), datetime.fromisoformat(request.GET["end"])
    rows = Session.objects.filter(practice=request.practice, start__lt=end, end__gt=start)
    if request.GET.get("practitioner"):
        rows = rows.filter(practitioner_id=int(request.GET["practitioner"]))
    rows = rows.order_by("start", "id").values("id", "start", "end", "status", "completion_label").annotate(
        names=StringAgg("participants__name", ", "))[: int(request.GET["limit"])]
    now = timezone.now()
    return JsonResponse([{
        "id": r["id"], "title": " · ".join(filter(None, [r["names"], r["completion_label"]])),
        "start": timezone.localtime(r["start"]).isoformat(), "end": timezone.localtime(r["end"]).isoformat(),
        "url": f"/sessions/{r['id']}/", "color": COLORS.get(r["status"]), "borderColor": None,
        "editable": r["status"] == "scheduled" and r["end"] > now, "classNames": [f"status-{r['status']}"],
        "extendedProps": {"status": r["status"], "group": False, "practitioner": "", "room": "", "closure": ""},
    } for r in rows], safe=False)


def base_wages(request):
    lines = (LedgerEntry.objects.filter(practice=request.practice, kind=EntryKind.WAGE, service_date__gte=request.GET["from"],
                                        service_date__lte=request.GET["to"])
             .filter(Q(participant__isnull=True) | Q(reverses__isnull=True, reversed_by__isnull=True))
             .order_by("practitioner__last_name", "practitioner_id", "service_date", "id")
             .values("practitioner__last_name", "service_date", "client_name", "label", "amount"))[: int(request.GET["limit"])]
    return table(lines)


def base_balances(request):
    users = [int(k[1:]) for k in request.GET["keys"].split(",") if k.startswith("u")]
    contacts = [int(k[1:]) for k in request.GET["keys"].split(",") if k.startswith("c")]
    rows = (LedgerEntry.objects.filter(practice=request.practice).exclude(kind=EntryKind.WAGE)
            .filter(Q(client_id__in=users) | Q(client__isnull=True, contact_id__in=contacts))
            .values("client_id", "contact_id")
            .annotate(charges=Sum("amount", filter=Q(kind__in=("charge", "adjustment"))),
                      payments=-Sum("amount", filter=Q(kind__in=("payment", "refund"))), balance=Sum("amount")))
    return table(rows)


def base_last_page(request):
    today = datetime.combine(timezone.localdate(), wall.min, tzinfo=timezone.get_current_timezone())
    rows = list(Session.objects.filter(practice=request.practice, start__gte=today).order_by("-start", "-id")
                .values("id", "start", "end", "practitioner__last_name", "room__name", "status")[: int(request.GET["limit"])])
    rows.reverse()
    return table(rows)


urlpatterns = [
    path("bench-base/events/", base_events),
    path("bench-base/wages/", base_wages),
    path("bench-base/balances/", base_balances),
    path("bench-base/last-page/", base_last_page),
    path("", include("practice.urls")),
]

# --- the data --------------------------------------------------------------------------------------


def first_of_month(day: date, months_ahead: int) -> date:
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


@transaction.atomic
def seed_ledger(practice):
    """A charge and a wage line (60% of the price) per past session, a card payment for every other one."""
    if LedgerEntry.objects.filter(practice=practice).exists():
        return
    now = timezone.now()
    past = Participant.objects.filter(session__practice=practice, session__end__lt=now).select_related("session").order_by("session__start")
    rows = []
    for n, p in enumerate(past.iterator(chunk_size=5000)):
        s = p.session
        common = dict(practice_id=practice.pk, currency=practice.currency, session_id=s.pk, participant_id=p.pk,
                      practitioner_id=s.practitioner_id, service_date=s.start.astimezone(TZ).date(), client_id=p.client_id,
                      client_name=p.name)
        rows.append(LedgerEntry(kind=EntryKind.CHARGE, amount=Decimal("175.00"), label="90837 · Completed", **common))
        rows.append(LedgerEntry(kind=EntryKind.WAGE, amount=Decimal("105.00"), label=f"90837 · Completed · {p.name}", **common))
        if n % 2:
            rows.append(LedgerEntry(kind=EntryKind.PAYMENT, amount=Decimal("-175.00"), label="Card payment", **common))
    LedgerEntry.objects.bulk_create(rows, batch_size=5000)
    Session.objects.filter(practice=practice, end__lt=now).update(status=SessionStatus.COMPLETED, completion_label="Completed")


def busy_practitioner(practice, first: date):
    """400 sessions of one more practitioner in the month starting ``first``: 20 weekdays x 20 slots of 25 minutes."""
    busy = User.objects.filter(email=BUSY_EMAIL).first()
    if busy is not None:
        return busy
    busy = User.objects.create_user(BUSY_EMAIL, "bench-pass-2026", first_name="Busy", last_name="Host", time_zone=seeding.TZ)
    Membership.objects.create(user=busy, practice=practice, role=Role.PRACTITIONER)
    days = [d for d in (first + timedelta(days=n) for n in range(31)) if d.month == first.month and d.weekday() < 5][:20]
    rows = []
    codes = iter(seeding.unique_codes(400))
    for day in days:
        for slot in range(20):
            start = datetime.combine(day, wall(8, 0), tzinfo=TZ) + timedelta(minutes=30 * slot)
            rows.append(Session(practice=practice, practitioner=busy, start=start, end=start + timedelta(minutes=25),
                                time_zone=seeding.TZ, access_code=next(codes)))
    made = Session.objects.bulk_create(rows)
    Participant.objects.bulk_create(Participant(session=s, name="Client Bench", invite_method="none", time_zone=seeding.TZ) for s in made)
    return busy


def staff_member(practice):
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = User.objects.create_user(STAFF_EMAIL, "bench-pass-2026", first_name="Office", last_name="Staff", time_zone=seeding.TZ)
        Membership.objects.create(user=staff, practice=practice, role=Role.STAFF)
    return staff


# --- the rows --------------------------------------------------------------------------------------


def getter(client, url, params=None):
    def get():
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, params, response.status_code)
        return response
    return get


def row(name, work, baseline, runs, target, payload):
    return compare(name, work, baseline, runs=runs, target=target, queries=count_queries(work), note=payload)


def size(response):
    return f"{len(response.content) / 1024:,.0f} KB"


def calendar_rows(client, practice, busy, runs):
    month = first_of_month(timezone.localdate(), 1)
    busy_month = first_of_month(timezone.localdate(), 2)
    host0 = User.objects.get(email=f"host0@{seeding.SLUG}.test")
    out = []
    for label, first, practitioner in (("a practitioner's month", month, host0), ("the busy practitioner's month", busy_month, busy),
                                       ("staff, no practitioner filter", month, None)):
        last = first_of_month(first, 1)
        params = {"start": f"{first}T00:00:00-05:00", "end": f"{last}T00:00:00-05:00"}
        if practitioner:
            params["practitioner"] = practitioner.pk
        work = getter(client, "/calendar/events/", params)
        answer = work()
        events = [e for e in answer.json() if isinstance(e["id"], int)]
        notice = answer.headers.get("X-Calendar-Notice", "")
        baseline = getter(client, "/bench-base/events/", {**params, "limit": len(events)})
        out.append(row(f"calendar events, {label}", work, baseline, runs, 3.0,
                       f"{len(events)} events, {size(answer)}" + (f" [{notice}]" if notice else "")))
    return out


def wages_row(client, runs):
    first = first_of_month(timezone.localdate(), -1)
    last = first_of_month(first, 1) - timedelta(days=1)
    params = {"from": first.isoformat(), "to": last.isoformat()}
    work = getter(client, "/billing/wages/", params)
    answer = work()
    lines = answer.content.count(b"data-wage-line")
    baseline = getter(client, "/bench-base/wages/", {**params, "limit": lines})
    return row(f"wages report, {first:%B %Y}, all practitioners", work, baseline, runs, 10.0, f"{lines} lines shown, {size(answer)}")


def balances_row(client, runs):
    work = getter(client, "/billing/clients/")
    answer = work()
    keys = re.findall(rb'data-account="([uc]\d+)"', answer.content)
    baseline = getter(client, "/bench-base/balances/", {"keys": ",".join(k.decode() for k in keys)})
    return row("client balances, first page", work, baseline, runs, 5.0, f"{len(keys)} accounts, {size(answer)}")


def last_page_row(client, runs):
    first = client.get("/sessions/")
    last = re.search(rb'href="([^"]*)"[^>]*>Last<', first.content)
    url = "/sessions/" + last.group(1).decode().replace("&amp;", "&")
    work = getter(client, url.split("?")[0], dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&")))
    answer = work()
    shown = answer.content.count(b"<tr data-session=")
    baseline = getter(client, "/bench-base/last-page/", {"limit": shown})
    return row("sessions list, last page", work, baseline, runs, 5.0, f"{shown} rows, {url.split('?', 1)[1]}, {size(answer)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep the large practice, its ledger and the busy practitioner")
    args = parser.parse_args()
    if not (args.reuse and Practice.objects.filter(slug=seeding.SLUG).exists()):
        seeding.delete_previous()
        started = time.perf_counter()
        seeding.seed()
        print(f"seeded the large practice in {time.perf_counter() - started:.1f} s")
    practice = Practice.objects.get(slug=seeding.SLUG)
    started = time.perf_counter()
    seed_ledger(practice)
    busy = busy_practitioner(practice, first_of_month(date.today(), 2))
    staff = staff_member(practice)
    with connection.cursor() as cursor:  # a settled database, as autovacuum keeps it (not timed): planner
        cursor.execute("VACUUM ANALYZE")  # statistics and visibility map; fresh rows misled both rows' plans
    print(f"ledger, busy practitioner and staff ready in {time.perf_counter() - started:.1f} s; "
          f"{Session.objects.filter(practice=practice).count()} sessions, "
          f"{LedgerEntry.objects.filter(practice=practice).count()} ledger lines")
    with override_settings(ROOT_URLCONF="bench.pages", ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(staff)
        rows = calendar_rows(client, practice, busy, args.runs)
        rows.append(wages_row(client, args.runs))
        rows.append(balances_row(client, args.runs))
        rows.append(last_page_row(client, args.runs))
    report(rows, title=f"issue 17 pages, large practice ({practice.name}), medians of {args.runs} interleaved runs")


if __name__ == "__main__":
    main()
