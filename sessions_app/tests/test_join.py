"""Access codes open their session only near its time; wrong codes get one answer; tries are throttled."""
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from practice.tests.factories import SessionFactory
from sessions_app import joining
from sessions_app.models import SessionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh throttle counters for each test, in the real Redis, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    yield


def session_starting_in(world, minutes, **extra):
    start = timezone.now() + timedelta(minutes=minutes)
    return SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, start=start,
                          end=start + timedelta(minutes=50), **extra)


def join(client, code, address="10.0.0.1"):
    return client.post(reverse("sessions_app:join"), {"code": code}, REMOTE_ADDR=address)


def test_a_code_opens_its_session_from_15_minutes_before(client, world):
    soon = session_starting_in(world, 10)
    response = join(client, soon.access_code)
    assert "You are in the waiting room" in response.content.decode()


def test_every_failure_gets_the_same_answer(client, world):
    later = session_starting_in(world, 120)
    canceled = session_starting_in(world, 5, status=SessionStatus.CANCELED)
    past = session_starting_in(world, -120)
    answers = {join(client, code, address=f"10.0.0.{i}").content.decode().split('role="alert">')[1].split("</div>")[0]
               for i, code in enumerate([later.access_code, canceled.access_code, past.access_code, "123456789", "12ab"])}
    assert answers == {joining.FAILURE}


def test_tries_are_throttled_per_address_and_per_code(client, world):
    soon = session_starting_in(world, 5)
    for n in range(joining.MAX_PER_ADDRESS):
        join(client, f"{n:09d}", address="10.9.9.9")
    response = join(client, soon.access_code, address="10.9.9.9")
    assert response.status_code == 429 and "Too many tries" in response.content.decode()
    for n in range(joining.MAX_PER_CODE):
        join(client, "987654321", address=f"10.1.1.{n}")
    assert join(client, "987654321", address="10.2.2.2").status_code == 429
    assert "waiting room" in join(client, soon.access_code, address="10.3.3.3").content.decode()
