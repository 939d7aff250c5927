"""Median server time and SQL query count of the dashboard and the session form,
in a practice with 10 sessions and in the large practice (50,000 sessions); and the
session form as a ratio against a bare view in the same run (issue 17: target 8x).

    .venv/bin/python bench/scheduling_pages.py [--runs 30] [--reuse]

The bare view (bench/bare_views.py) writes the same selects and inputs from one query per
option list, through the same client and middleware: the least any view must do for that page.

``--reuse`` keeps a large practice seeded earlier by bench/seed_large_practice.py.
Requests go through Django's test client in this process, so the times are
server time (middleware, views, SQL, templates) without the network.
"""
import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import clear_url_caches  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from bench.ratio import compare, count_queries, report  # noqa: E402
from practice.models import Practice, User  # noqa: E402
from sessions_app.models import Session  # noqa: E402

PAGES = [("dashboard", "/dashboard/"), ("session form", "/sessions/new/?now=1")]


def measure(user, runs):
    client = Client()
    client.force_login(user)
    rows = []
    for label, path in PAGES:
        client.get(path)  # warm caches and connections
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        rows.append((label, statistics.median(times) * 1000, len(queries.captured_queries)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup_test_environment()
    settings.ROOT_URLCONF = "bench.bare_views"  # the product's URLs and the bare views beside them
    clear_url_caches()

    seeding.delete_previous("bench-small")
    small = seeding.seed(
        practitioners=1, clients=10, sessions=10, slug="bench-small", name="Small Bench Practice",
        first_day=date.today() + timedelta(days=1),
    )
    if not (args.reuse and Practice.objects.filter(slug=seeding.SLUG).exists()):
        seeding.delete_previous()
        seeding.seed()
    large = Practice.objects.get(slug=seeding.SLUG)

    print(f"{'practice':<28}{'sessions':>10}  {'page':<14}{'median ms':>10}{'queries':>9}")
    for practice in (small, large):
        host = User.objects.filter(memberships__practice=practice, email__startswith="host0@").get()
        count = Session.objects.filter(practice=practice).count()
        for label, median_ms, queries in measure(host, args.runs):
            print(f"{practice.name:<28}{count:>10}  {label:<14}{median_ms:>10.1f}{queries:>9}")
    rows = []
    for practice in (small, large):
        host = User.objects.filter(memberships__practice=practice, email__startswith="host0@").get()
        client = Client()
        client.force_login(host)

        def real(client=client):
            assert client.get("/sessions/new/?now=1").status_code == 200

        def bare(client=client):
            assert client.get("/bench/bare/session-form/").status_code == 200

        rows.append(compare(f"session form, {practice.name}", real, bare, runs=args.runs, target=8.0,
                            queries=count_queries(real)))
    report(rows, "\nSession form against a bare view writing the same controls (medians, interleaved):")
    seeding.delete_previous("bench-small")


if __name__ == "__main__":
    main()
