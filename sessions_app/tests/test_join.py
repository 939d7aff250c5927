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
                          end=start + timedelta(minutes=50), delivery_method="video", **extra)


def join(client, code, address="10.0.0.1"):
    """A right code leads (redirect) to the meeting's device check and waiting room (/meet/<token>/)."""
    return client.post(reverse("sessions_app:join"), {"code": code}, REMOTE_ADDR=address, follow=True)


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
                                 delivery_method="video",
                                 clients=[{"name": f"Person {n}", "time_zone": zone} for n, zone in enumerate(zones)])
        page = join(client, session.access_code).content.decode()
    assert "You are in the waiting room" in page
    assert f"starts at {shown}" in page
    assert "7:40 PM" not in page and "19:40" not in page  # the UTC time


def join_via_proxy(client, code, forwarded_for, proxy="10.255.0.1"):
    return client.post(reverse("sessions_app:join"), {"code": code}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for,
                       follow=True)


def test_behind_the_proxy_one_client_is_throttled_not_everyone(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    soon = session_starting_in(world, 5)
    for n in range(joining.MAX_PER_ADDRESS + 1):
        # The guesser forges a left-hand entry each time: only the entry the proxy appended counts.
        join_via_proxy(client, f"{n:09d}", f"198.51.100.{n}, 203.0.113.7")
    assert join_via_proxy(client, soon.access_code, "203.0.113.7").status_code == 429
    # Another client behind the same proxy still gets in.
    assert "waiting room" in join_via_proxy(client, soon.access_code, "203.0.113.8").content.decode()


@pytest.mark.parametrize("forwarded_for", ["", "not-an-address", "203.0.113.7, 999.1.1.1", " , "])
def test_a_malformed_forwarded_header_counts_as_the_proxy_address(client, world, settings, forwarded_for):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(joining.MAX_PER_ADDRESS):
        join_via_proxy(client, f"{n:09d}", forwarded_for)
    assert join_via_proxy(client, "123456789", forwarded_for).status_code == 429
    assert join_via_proxy(client, "123456789", "203.0.113.9").status_code == 200


def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(joining.MAX_PER_ADDRESS):
        join_via_proxy(client, f"{n:09d}", f"203.0.113.{n}")
    assert join_via_proxy(client, "123456789", "203.0.113.200").status_code == 429


def test_two_trusted_proxies_take_the_second_entry_from_the_right(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    for n in range(joining.MAX_PER_ADDRESS):
        join_via_proxy(client, f"{n:09d}", f"1.2.3.{n}, 203.0.113.7, 10.0.0.{n}")
    assert join_via_proxy(client, "123456789", "203.0.113.7, 10.0.0.99").status_code == 429
    assert join_via_proxy(client, "123456789", "203.0.113.8, 10.0.0.1").status_code == 200


def test_wrong_codes_from_many_addresses_trip_a_site_wide_cap_with_an_alert(client, world, monkeypatch, caplog):
    monkeypatch.setattr(joining, "MAX_FAILURES_SITE_WIDE", 30)
    soon = session_starting_in(world, 5)
    for n in range(29):  # 29 addresses, each well under its own limit
        assert join(client, f"{n:09d}", address=f"10.7.{n}.1").status_code == 200
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert join(client, "999999999", address="10.7.99.1").status_code == 200  # the 30th wrong code trips it
    alerts = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(alerts) == 1 and "access-code guessing" in alerts[0]
    # Now every entry is refused, a right code from a fresh address too, and the alert is not repeated.
    response = join(client, soon.access_code, address="10.8.0.1")
    assert response.status_code == 429 and "Too many tries" in response.content.decode()
    join(client, "888888888", address="10.8.0.2")
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1
