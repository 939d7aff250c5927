"""Two Celery workers deliver 10,000 reminders that fall due in the same minute.

    .venv/bin/python bench/reminders.py [--count 10000] [--workers 2] [--channel sms|email]

Reminders go to a loopback stub (the Twilio Messages API stub for SMS through
the real SDK, or a real SMTP server for e-mail). The script prints how long the
workers took and how many messages the stub received twice (must be 0).
"""
import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from collections import Counter  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from notifications.models import Channel, Notification, NotificationKind, State  # noqa: E402
from notifications.stubs import SmtpSink, TwilioStub  # noqa: E402
from practice.celery import app  # noqa: E402
from practice.models import Membership, Practice, Role, User  # noqa: E402
from sessions_app.models import Participant, Session  # noqa: E402

SLUG = "bench-reminders"
ROOT = Path(__file__).resolve().parents[1]


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
    return practice


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--channel", choices=["sms", "email"], default="sms")
    args = parser.parse_args()

    stub = TwilioStub() if args.channel == "sms" else SmtpSink()
    practice = seed(args.count, args.channel)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_NAME": connection.settings_dict["NAME"], "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "TWILIO_AUTH_TOKEN": "bench-token", "TWILIO_FROM_NUMBER": "+15005550006",
           "LOG_LEVEL": "WARNING"}
    if args.channel == "sms":
        env["TWILIO_API_BASE"] = stub.url
    else:
        env.update(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                   EMAIL_PORT=str(stub.port), EMAIL_USE_TLS="0")
    workers = [
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "practice", "worker", "--pool=solo", "--loglevel=WARNING",
                          "--without-gossip", "--without-mingle", "-Q", queue, "-n", f"w{i}-{queue}@%h"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(args.workers)
    ]
    time.sleep(3)  # let the workers connect
    pending = Notification.objects.filter(practice=practice, state=State.PENDING)
    started = time.perf_counter()
    for _ in range(args.workers * 2):  # what the beat task does each minute
        app.send_task("notifications.tasks.drain_due", queue=queue)
    while pending.exists() and time.perf_counter() - started < 600:
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)

    if args.channel == "sms":
        received = Counter(m["Body"] for m in stub.messages)
    else:
        received = Counter(m.get_payload() if not m.is_multipart() else m.get_payload()[0].get_payload() for m in stub.messages)
    sent = Notification.objects.filter(practice=practice, state=State.SENT).count()
    twice = sum(1 for c in received.values() if c > 1)
    print(f"channel:            {args.channel} (loopback stub)")
    print(f"workers:            {args.workers}")
    print(f"reminders due:      {args.count} in the same minute")
    print(f"delivered:          {sent} marked sent, {sum(received.values())} received by the stub")
    print(f"time:               {elapsed:.1f} s ({sent / elapsed:.0f} messages/s)")
    print(f"delivered twice:    {twice}")
    stub.close()
    seeding.delete_previous(SLUG)


if __name__ == "__main__":
    settings.DEBUG = False
    main()
