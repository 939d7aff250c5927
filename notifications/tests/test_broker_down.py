"""Issue 11, item 12: with the Celery broker unreachable, a change that wrote its outbox rows still
answers as if nothing happened; the rows wait for the beat drain (dispatch_due, every minute)."""
import zoneinfo
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from notifications import delivery
from notifications.models import Notification, NotificationKind, State
from sessions_app.models import Session
from sessions_app.tests.helpers import session_post

NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=NY)
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: "Redis is down"


@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port and queue for real (not eagerly), then put it back."""
    from practice.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = CLOSED_PORT
    app.conf.task_always_eager = False
    app._pool = None  # the connection pools are built lazily from broker_url
    app.amqp._producer_pool = None
    yield app
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.broker_url = previous
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_the_broker_is_down_answers_302_and_its_messages_wait(login, world, broker_down, caplog):
    data = session_post(practitioner=world.home.practitioner, services=[{"service": world.home.service.pk, "price": "150.00"}])
    with time_machine.travel(NOW, tick=False), caplog.at_level("WARNING", logger="notifications.outbox"):
        response = login(world.home.practitioner).post(reverse("sessions_app:session_new"), data)
    assert response.status_code == 302 and response["Location"] == reverse("sessions_app:dashboard")
    session = Session.objects.get(practice=world.home.practice)
    invite = Notification.objects.get(session=session, kind=NotificationKind.INVITE)
    assert invite.state == State.PENDING and invite.attempts == 0
    assert Notification.objects.filter(session=session, state=State.PENDING).count() == 3  # the invite and two reminders
    assert "could not be queued" in caplog.text
    # The beat drain (dispatch_due -> drain) sends it once the invite is due, as it is now.
    with time_machine.travel(NOW, tick=False):
        assert delivery.drain() == 1
    invite.refresh_from_db()
    assert invite.state == State.SENT
