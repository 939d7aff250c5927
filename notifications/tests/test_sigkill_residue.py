"""Issue 11, item 15: a Celery worker SIGKILLed several times in the middle of a run of 30 invitations,
against a real SMTP server, real Redis and a worker process. Counts what the server received twice.

Two moments to die, three kills each:
- "while closing": the server accepted the message (250) and takes its time over the end of the
  SMTP session (0.3 s to answer QUIT, standing for a slow or distant server); the worker is killed
  0.1 s after the acceptance. Sending inside the row-lock transaction recorded "sent" only after
  QUIT, so the kill rolled the row back to pending and the next worker sent it again. A worker
  that records each message as soon as the server accepted it (claim, commit, send, record) has
  recorded it by then: nothing is sent twice.
- "as accepted": the worker dies while the server is accepting (it never hears the 250). Nobody
  can know whether it went: the row stays SENDING and is sent again once its lease ran out,
  with the same Message-ID, so receivers can drop the copy. This residue is inherent (SMTP has no
  idempotency key); the test pins that it is at most one copy per kill and nothing is lost.
"""
import asyncio
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.db.models import F

from notifications import delivery
from notifications.models import Notification, NotificationKind, State
from notifications.tests import test_integration
from notifications.tests.test_integration import Worker, book, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
sink = test_integration.sink
queue = test_integration.queue

KILL_AFTER_ACCEPTED = (5, 12, 19)  # kill the worker around the 5th, 12th and 19th message the server accepts
SENDING = getattr(State, "SENDING", None)


class Run:
    """Workers started one after another; the SMTP server kills the current one at the chosen moments."""

    def __init__(self, queue, sink, when):
        self.queue, self.sink, self.when = queue, sink, when
        self.worker = None
        self.accepted = 0
        self.killed = threading.Event()
        self.kills = 0
        original = sink.controller.handler.handle_DATA

        async def handle_data(server, session, envelope):
            status = await original(server, session, envelope)  # the server has taken the message
            self.accepted += 1
            if self.accepted in KILL_AFTER_ACCEPTED:
                if when == "as accepted":
                    self.kill()  # before the 250 leaves: the worker never learns the message went
                else:
                    threading.Timer(0.1, self.kill).start()  # while the worker closes the session
            return status

        async def handle_quit(server, session, envelope):
            await asyncio.sleep(0.3)
            return "221 Bye"

        sink.controller.handler.handle_DATA = handle_data
        sink.controller.handler.handle_QUIT = handle_quit

    def start(self):
        from notifications.tasks import drain_due

        self.killed.clear()
        self.worker = Worker(self.queue, self.sink)
        drain_due.delay()

    def kill(self):
        os.kill(self.worker.process.pid, signal.SIGKILL)
        self.kills += 1
        self.killed.set()


@pytest.mark.parametrize("when, most_twice", [("while closing", 0), ("as accepted", len(KILL_AFTER_ACCEPTED))])
def test_a_worker_killed_three_times_mid_run(world, sink, queue, settings, when, most_twice, capsys):
    from practice.celery import app

    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # hold the invites back while booking
    sessions = [book(world, n) for n in range(30)]
    invites = Notification.objects.filter(session__in=sessions, kind=NotificationKind.INVITE)
    Notification.objects.filter(pk__in=invites).update(state=State.PENDING, attempts=0, provider_id="", sent_at=None)
    app.conf.task_always_eager = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    sink.delay = 0.25  # the server takes a moment over each message

    run = Run(queue, sink, when)
    not_done = Notification.objects.filter(pk__in=invites).exclude(state__in=[State.SENT, SENDING or State.SENT])
    try:
        for _ in KILL_AFTER_ACCEPTED:
            run.start()
            assert run.killed.wait(90), "the worker was not killed"
            run.worker.process.wait(timeout=10)
        run.start()  # the last worker finishes the run
        assert wait_for(lambda: not not_done.exists(), 120), "the run did not finish"
    finally:
        run.worker.stop()
    assert run.kills == len(KILL_AFTER_ACCEPTED)
    left_sending = Notification.objects.filter(pk__in=invites, state=SENDING).count() if SENDING else 0

    # Ten minutes later the lease of rows left SENDING by a dead worker has run out: the beat drain sends them.
    lease = getattr(delivery, "LEASE", None)
    if lease:
        Notification.objects.filter(state=SENDING).update(claimed_at=F("claimed_at") - lease - timedelta(seconds=1))
    delivery.drain()
    assert not Notification.objects.filter(pk__in=invites).exclude(state=State.SENT).exists()

    counts = sink.message_ids()
    twice = sum(n - 1 for n in counts.values() if n > 1)
    with capsys.disabled():
        print(f"\n[{when}] kills={run.kills} received={sum(counts.values())} distinct={len(counts)} "
              f"sent twice={twice} left sending for the lease={left_sending}")
    assert len(counts) == 30 and set(counts) == set(invites.values_list("provider_id", flat=True)), "a message was lost"
    assert twice <= most_twice
    assert delivery.drain() == 0
