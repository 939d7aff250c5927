"""A team member idle for SESSION_IDLE_TIMEOUT_MINUTES is signed out; every session ends
SESSION_COOKIE_AGE after it began (issue 12, item 4)."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def page(client, name):
    return client.get(reverse(name))


def test_defaults():
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_an_idle_team_member_is_signed_out_with_a_message(login, world, role):
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(world.home.member(role))
        assert page(client, "sessions_app:dashboard").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert page(client, "sessions_app:dashboard").status_code == 200  # active again: the clock restarts
        traveller.shift(timedelta(minutes=29))
        assert page(client, "sessions_app:dashboard").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = page(client, "sessions_app:dashboard")
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        login_page = client.get(response["Location"]).content.decode()
        assert "You were signed out after 30 minutes without activity" in login_page
        # Signed out for good: the next request is anonymous too.
        assert page(client, "sessions_app:dashboard").status_code == 302
        assert "_auth_user_id" not in client.session


def test_a_client_has_no_idle_timeout_but_the_same_lifetime(login, world):
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(world.home.client)
        assert page(client, "portal:home").status_code == 200
        traveller.shift(timedelta(hours=3))
        assert page(client, "portal:home").status_code == 200
        traveller.shift(timedelta(hours=9, minutes=1))
        response = page(client, "portal:home")
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_busy_team_session_still_ends_after_12_hours(login, world):
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(world.home.practitioner)
        for _ in range(12 * 4):
            assert page(client, "sessions_app:dashboard").status_code == 200
            traveller.shift(timedelta(minutes=15))
        traveller.shift(timedelta(minutes=1))
        response = page(client, "sessions_app:dashboard")
        assert response.status_code == 302
        assert "Your session has ended" in client.get(response["Location"]).content.decode()


def test_the_idle_limit_is_a_setting(login, world, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(world.home.staff)
        assert page(client, "sessions_app:dashboard").status_code == 200
        traveller.shift(timedelta(minutes=6))
        assert page(client, "sessions_app:dashboard").status_code == 302


def test_an_htmx_request_of_an_idle_session_sends_the_browser_to_login(login, world):
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(world.home.admin)
        assert page(client, "sessions_app:dashboard").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get(reverse("sessions_app:dashboard"), HTTP_HX_REQUEST="true")
        assert response["HX-Redirect"] == reverse("login")
