"""Side by side: a piece of work and its baseline, timed in the same process, interleaved, as medians.

The machines are noisy, so no figure here is a wall-clock promise: each row says how many times
slower than its baseline the work is, both measured in the same run, one after the other, run after
run (a slow moment hits both). Scripts build rows with ``compare`` (or ``Row`` for work timed
another way, such as Celery workers draining a queue) and print them with ``report``:

    row = compare("calendar events, 161-event month", work, baseline, runs=20, target=3.0,
                  queries=count_queries(work))
    report([row])
"""
import statistics
import time
from dataclasses import dataclass

from django.db import connection


class QueryCounter:
    """Counts every query run through Django (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def count_queries(work) -> int:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        work()
    return counter.count


@dataclass
class Row:
    name: str
    work_seconds: float
    baseline_seconds: float
    target: float | None = None  # the largest ratio the issue accepts
    queries: int | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.work_seconds / self.baseline_seconds if self.baseline_seconds else float("inf")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.ratio <= self.target else "OVER"


def compare(name, work, baseline, *, runs=20, warmup=2, target=None, queries=None, note="") -> Row:
    """Median seconds of ``work()`` and ``baseline()``, run alternately ``runs`` times after a warm-up."""
    for _ in range(warmup):
        baseline()
        work()
    work_times, base_times = [], []
    for _ in range(runs):
        started = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        work()
        work_times.append(time.perf_counter() - started)
    return Row(name, statistics.median(work_times), statistics.median(base_times), target, queries, note)


def report(rows, title=""):
    if title:
        print(title)
    print(f"  {'work':<52}{'queries':>8}{'work ms':>10}{'base ms':>10}{'ratio':>8}{'target':>8}  ")
    for row in rows:
        queries = "" if row.queries is None else f"{row.queries}"
        target = "" if row.target is None else f"{row.target:g}x"
        print(f"  {row.name:<52}{queries:>8}{row.work_seconds * 1000:>10.1f}{row.baseline_seconds * 1000:>10.1f}"
              f"{row.ratio:>7.1f}x{target:>8}  {row.verdict}{('  ' + row.note) if row.note else ''}")
