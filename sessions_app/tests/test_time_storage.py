"""Times are stored in UTC and shown in the viewer's zone (DESIGN.md invariant 2)."""
import zoneinfo
from datetime import datetime

import pytest
from django.db import connection
from django.urls import reverse

from sessions_app.scheduling import ParticipantData, SessionData, schedule_session

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def schedule_at(world, local_start):
    return schedule_session(
        practice=world.home.practice,
        actor=world.home.practitioner,
        data=SessionData(
            practitioner=world.home.practitioner, start=local_start, duration_minutes=50, time_zone="America/New_York",
            services=[(world.home.service, world.home.service.price)],
            participants=[ParticipantData(name="Lee Tokyo", invite_method="none", time_zone="Asia/Tokyo")],
        ),
    )


def test_a_new_york_morning_is_stored_as_utc(world):
    session = schedule_at(world, datetime(2030, 1, 15, 9, 0, tzinfo=NEW_YORK))
    with connection.cursor() as cursor:
        cursor.execute("SELECT start AT TIME ZONE 'UTC' FROM sessions_app_session WHERE id = %s", [session.pk])
        (utc_wall_time,) = cursor.fetchone()
    assert utc_wall_time == datetime(2030, 1, 15, 14, 0)  # EST is UTC-5


def test_summer_time_is_stored_with_the_summer_offset(world):
    session = schedule_at(world, datetime(2030, 7, 15, 9, 0, tzinfo=NEW_YORK))
    with connection.cursor() as cursor:
        cursor.execute("SELECT start AT TIME ZONE 'UTC' FROM sessions_app_session WHERE id = %s", [session.pk])
        (utc_wall_time,) = cursor.fetchone()
    assert utc_wall_time == datetime(2030, 7, 15, 13, 0)  # EDT is UTC-4


def test_each_viewer_sees_their_own_zone_and_each_tile_the_participants(login, world):
    schedule_at(world, datetime(2030, 1, 15, 9, 0, tzinfo=NEW_YORK))
    host = login(world.home.practitioner)
    page = host.get(reverse("sessions_app:dashboard")).content.decode()
    assert "Tuesday, January 15 · 9:00 AM–9:50 AM" in page  # the host is in New York
    assert "Tue Jan 15, 11:00 PM" in page and "Asia/Tokyo" in page  # the tile: 23:00 in Tokyo

    world.home.staff.time_zone = "America/Los_Angeles"
    world.home.staff.save()
    staff = login(world.home.staff)
    page = staff.get(reverse("sessions_app:dashboard")).content.decode()
    assert "Tuesday, January 15 · 6:00 AM–6:50 AM" in page
