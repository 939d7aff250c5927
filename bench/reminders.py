"""Two Celery workers drain N reminders due in the same minute, against N no-op Celery tasks.

    .venv/bin/python bench/reminders.py [--counts 1000,10000] [--rounds 3] [--workers 2] [--channel sms|email]

Issue 17's first row: the work is N reminders (Notification rows due now) drained by the
workers (the beat's ``drain_due`` tasks); the baseline is N no-op Celery tasks through the same
Redis broker and the same worker processes. Both are timed the same way: the messages wait in
the queue while the workers consume nothing (``cancel_consumer``), the clock starts when the
workers are told to consume again (``add_consumer``) and stops when the last reminder is marked
sent (work) or the last no-op task has stored its result (baseline). Work and baseline alternate,
``--rounds`` times at each size; the row shows the medians and their ratio (target: 2x).

Reminders go to a loopback stub (the Twilio Messages API stub for SMS through the real SDK, or a
real SMTP server for e-mail). Each work run checks that every reminder was received once and
marked sent (a message received twice stops the script).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from celery import shared_task  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from bench.ratio import Row, report  # noqa: E402
from notifications.models import Channel, Notification, NotificationKind, State  # noqa: E402
from notifications.stubs import SmtpSink, TwilioStub  # noqa: E402
from practice.celery import app  # noqa: E402
from practice.models import Membership, Practice, Role, User  # noqa: E402
from sessions_app.models import Participant, Session  # noqa: E402

SLUG = "bench-reminders"
ROOT = Path(__file__).resolve().parents[1]
TARGET = 2.0


@shared_task(name="bench.reminders.noop")
def noop():
    """The baseline: a Celery task that does nothing (the workers import this module with -I)."""
    return None


def seed(count, channel):
    seeding.delete_previous(SLUG)
    practice = Practice.objects.create(name="Reminder Bench", slug=SLUG)
    host = User.objects.create_user(f"host@{SLUG}.test", None, first_name="Bench", last_name="Host")
    Membership.objects.create(user=host, practice=practice, role=Role.PRACTITIONER)
    start = timezone.now() + timedelta(hours=1)
    session = Session.objects.create(practice=practice, practitioner=host, start=start, end=start + timedelta(minutes=50),
                                     time_zone="America/New_York")
    participant = Participant.objects.create(session=session, name="Bench Client", invite_method="none", time_zone="UTC")
    due = timezone.now().replace(second=0, microsecond=0)
    address = "+12125550142" if channel == "sms" else "client@example.com"
    Notification.objects.bulk_create(
        (Notification(practice=practice, session=session, participant=participant, kind=NotificationKind.REMINDER,
                      channel=Channel.SMS if channel == "sms" else Channel.EMAIL, to_address=address,
                      subject="Reminder", body_text=f"Reminder {n}: your session is in an hour.",
                      due_at=due, about_start=start, dedupe_key=f"bench:{uuid.uuid4().hex}")
         for n in range(count)),
        batch_size=2000,
    )
    with connection.cursor() as cursor:  # a settled table, as autovacuum keeps it (not timed)
        cursor.execute("VACUUM ANALYZE notifications_notification")
    return practice


class Workers:
    def __init__(self, count, channel, stub):
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"], "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
               "TWILIO_AUTH_TOKEN": "bench-token", "TWILIO_FROM_NUMBER": "+15005550006", "LOG_LEVEL": "WARNING",
               # configured as in production (DEBUG on keeps every query's text in memory), with this
               # process's keys so the workers read what it wrote
               "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "localhost",
               "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS)}
        if channel == "sms":
            env["TWILIO_API_BASE"] = stub.url
        else:
            env.update(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                       EMAIL_PORT=str(stub.port), EMAIL_USE_TLS="0")
        self.names = [f"w{i}-{self.queue}@bench" for i in range(count)]
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "practice", "worker", "--pool=solo", "--loglevel=WARNING",
                              "--without-gossip", "--without-mingle", "-I", "bench.reminders", "-Q", self.queue,
                              "-n", name], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name in self.names
        ]
        deadline = time.monotonic() + 60
        while len(app.control.ping(destination=self.names, timeout=1.0)) < count:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")

    def pause(self):
        """Stop consuming the queue (the queued messages wait in Redis)."""
        replies = app.control.cancel_consumer(self.queue, destination=self.names, reply=True, timeout=5)
        assert len(replies) == len(self.names), replies

    def resume(self):
        app.control.add_consumer(self.queue, destination=self.names, reply=False)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def run_work(workers, count, channel, stub):
    practice = seed(count, channel)
    stub_seen = len(stub.messages)
    workers.pause()
    for _ in range(len(workers.names) * 2):  # what the beat task does each minute
        app.send_task("notifications.tasks.drain_due", queue=workers.queue)
    not_sent = Notification.objects.filter(practice=practice).exclude(state=State.SENT)
    started = time.perf_counter()
    workers.resume()
    while not_sent.exists():
        if time.perf_counter() - started > 1800:
            raise SystemExit("the workers did not drain the reminders in 30 minutes")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    received = stub.messages[stub_seen:]
    if channel == "sms":
        bodies = Counter(m["Body"] for m in received)
    else:
        bodies = Counter(m.get_payload() if not m.is_multipart() else m.get_payload()[0].get_payload() for m in received)
    twice = sum(1 for c in bodies.values() if c > 1)
    if twice or len(bodies) != count:
        raise SystemExit(f"{count} reminders: {len(bodies)} received, {twice} of them twice")
    seeding.delete_previous(SLUG)
    return elapsed


def run_baseline(workers, count):
    workers.pause()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with app.producer_or_acquire() as producer:
        for task_id in ids:
            app.send_task("bench.reminders.noop", task_id=task_id, queue=workers.queue, producer=producer)
    client = app.backend.client
    keys = [app.backend.get_key_for_task(task_id) for task_id in ids]
    started = time.perf_counter()
    workers.resume()
    remaining = keys
    while remaining:
        if time.perf_counter() - started > 1800:
            raise SystemExit("the workers did not run the no-op tasks in 30 minutes")
        pipe = client.pipeline(transaction=False)
        for key in remaining:
            pipe.exists(key)
        done = pipe.execute()
        remaining = [key for key, there in zip(remaining, done, strict=True) if not there]
        if remaining:
            time.sleep(0.05)
    elapsed = time.perf_counter() - started
    client.delete(*keys)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--channel", choices=["sms", "email"], default="sms")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]

    stub = TwilioStub() if args.channel == "sms" else SmtpSink()
    workers = Workers(args.workers, args.channel, stub)
    rows = []
    try:
        run_baseline(workers, 50)  # warm-up: connections, imports
        run_work(workers, 50, args.channel, stub)
        for count in counts:
            work_times, base_times = [], []
            for _ in range(args.rounds):
                base_times.append(run_baseline(workers, count))
                work_times.append(run_work(workers, count, args.channel, stub))
                print(f"  n={count}: work {work_times[-1]:.2f} s, baseline {base_times[-1]:.2f} s", flush=True)
            rows.append(Row(f"reminders: {args.workers} workers drain {count:,} due ({args.channel})",
                            statistics.median(work_times), statistics.median(base_times), TARGET,
                            note=f"{count / statistics.median(work_times):.0f}/s vs {count / statistics.median(base_times):.0f}/s"))
    finally:
        workers.stop()
        stub.close()
        seeding.delete_previous(SLUG)
    report(rows, f"Reminders (issue 17), medians of {args.rounds} interleaved rounds; baseline: {args.workers} workers run "
                 f"N no-op Celery tasks through the same Redis; every reminder received once")


if __name__ == "__main__":
    settings.DEBUG = False
    main()
