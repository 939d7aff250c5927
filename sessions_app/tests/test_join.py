"""Access codes open their session only near its time; wrong codes get one answer; tries are throttled."""
import uuid
import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
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


NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize("zones, session_zone, shown", [
    # One participant: their zone, named. 2:40 PM in New York is 19:40 UTC.
    (["America/New_York"], "America/Chicago", "2:40 PM EST (America/New_York)"),
    (["America/Chicago"], "America/New_York", "1:40 PM CST (America/Chicago)"),
    # Everyone in one zone: that zone.
    (["Europe/Berlin", "Europe/Berlin"], "America/New_York", "8:40 PM CET (Europe/Berlin)"),
    # Several zones: the zone the session was scheduled in, named.
    (["America/New_York", "America/Los_Angeles"], "America/Denver", "12:40 PM MST (America/Denver)"),
])
def test_the_waiting_room_shows_the_start_in_the_participants_zone_named(client, world, zones, session_zone, shown):
    with time_machine.travel(datetime(2030, 1, 7, 14, 30, tzinfo=NY), tick=False):
        session = SessionFactory(cast=world.home, start=datetime(2030, 1, 7, 14, 40, tzinfo=NY), time_zone=session_zone,
                                 clients=[{"name": f"Person {n}", "time_zone": zone} for n, zone in enumerate(zones)])
        page = join(client, session.access_code).content.decode()
    assert "You are in the waiting room" in page
    assert f"starts at {shown}" in page
    assert "7:40 PM" not in page and "19:40" not in page  # the UTC time
