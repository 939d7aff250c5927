"""Delivery against real services: a Celery worker on the real Redis, a real SMTP server,
and a worker killed with SIGKILL in the middle of delivering."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F

from notifications import delivery
from notifications.models import Notification, NotificationKind, State
from notifications.stubs import SmtpSink
from sessions_app import scheduling
from sessions_app.scheduling import ParticipantData, SessionData

ROOT = Path(__file__).resolve().parents[2]
NY = zoneinfo.ZoneInfo("America/New_York")
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sink(settings):
    server = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.close()


@pytest.fixture
def queue():
    """A queue only this test's workers listen on (a developer's `make run` worker may share the Redis)."""
    from practice.celery import app

    name = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


class Worker:
    def __init__(self, queue, sink):
        env = {
            **os.environ, "DATABASE_NAME": connection.settings_dict["NAME"],
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port), "EMAIL_USE_TLS": "0", "SITE_URL": "https://practice.example.com",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "practice", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue, "-n", f"{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def book(world, n, hour=10):
    start = datetime.now(NY).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=3 + n)
    return scheduling.schedule_session(
        practice=world.home.practice, actor=world.home.practitioner,
        data=SessionData(practitioner=world.home.practitioner, start=start, duration_minutes=50, time_zone="America/New_York",
                         services=[(world.home.service, Decimal("150"))],
                         participants=[ParticipantData(name=f"Person {n}", invite_method="email",
                                                       email=f"person{n}@example.com", time_zone="Europe/Paris")]),
    )


def test_email_goes_through_the_smtp_backend_to_a_local_server(world, sink):
    session = book(world, 0)  # tests run tasks in-process: the invite is delivered on commit
    invite = Notification.objects.get(session=session, kind=NotificationKind.INVITE)
    assert invite.state == State.SENT
    [message] = sink.messages
    assert message["To"] == "person0@example.com" and message["Message-ID"] == invite.provider_id
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    assert session.access_code in parts["text/plain"].get_payload(decode=True).decode()
    assert "Europe/Paris" in parts["text/plain"].get_payload(decode=True).decode()


def test_a_real_worker_on_real_redis_delivers_an_invite(world, sink, queue):
    worker = Worker(queue, sink)
    try:
        session = book(world, 1)  # the invite task is queued on commit, to Redis
        invite = Notification.objects.get(session=session, kind=NotificationKind.INVITE)
        assert wait_for(lambda: Notification.objects.get(pk=invite.pk).state == State.SENT), "the worker did not deliver"
    finally:
        worker.stop()
    assert [m["To"] for m in sink.messages] == ["person1@example.com"]


def test_a_worker_killed_while_delivering_loses_nothing_and_sends_nothing_twice(world, sink, queue, settings):
    from practice.celery import app

    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # hold the invites back while booking
    sessions = [book(world, n) for n in range(30)]
    invites = Notification.objects.filter(session__in=sessions, kind=NotificationKind.INVITE)
    Notification.objects.filter(pk__in=invites).update(state=State.PENDING, attempts=0, provider_id="", sent_at=None)
    app.conf.task_always_eager = False
    total = invites.count()
    assert total == 30

    # Each message takes a moment at the server; kill the worker while it is in the middle of the 10th.
    sink.delay = 0.15
    started_tenth = threading.Event()
    original = sink.controller.handler.handle_DATA
    seen = []

    async def counting(server, session, envelope):
        seen.append(1)
        if len(seen) == 10:
            started_tenth.set()
        return await original(server, session, envelope)

    sink.controller.handler.handle_DATA = counting
    first = Worker(queue, sink)
    from notifications.tasks import drain_due

    drain_due.delay()
    assert started_tenth.wait(60), "the worker did not start delivering"
    first.kill()
    assert Notification.objects.filter(pk__in=invites, state=State.SENT).count() == 9
    # The 10th was claimed (committed as SENDING) by the dead worker: it waits for its lease, the rest are pending.
    assert Notification.objects.filter(pk__in=invites, state=State.PENDING).count() == 20
    [tenth] = Notification.objects.filter(pk__in=invites, state=State.SENDING)
    assert tenth.attempts == 1 and tenth.claimed_at is not None

    second = Worker(queue, sink)
    try:
        drain_due.delay()
        assert wait_for(lambda: not Notification.objects.filter(pk__in=invites, state=State.PENDING).exists(), 90)
    finally:
        second.stop()
    # Ten minutes later its lease has run out: the beat drain claims it again and sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    Notification.objects.filter(pk=tenth.pk).update(claimed_at=F("claimed_at") - delivery.LEASE - timedelta(seconds=1))
    assert delivery.drain() == 1
    assert not Notification.objects.filter(pk__in=invites).exclude(state=State.SENT).exists()
    counts = sink.message_ids()
    assert len(counts) == total, "a message was lost"
    assert max(counts.values()) == 1, "a message was sent twice"
    assert set(counts) == set(invites.values_list("provider_id", flat=True))
    assert delivery.drain() == 0  # nothing left, nothing sent again
