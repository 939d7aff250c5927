"""A host schedules a session in Chromium, as a person would."""
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from sessions_app.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def test_host_schedules_a_session_with_two_participants(page, live_server):
    call_command("demo_data", stdout=open("/dev/null", "w"))
    log_in(page, live_server, "host@demo.test")

    page.get_by_role("button", name="New Scheduled Session").click()
    tomorrow = (datetime.now(zoneinfo.ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    page.locator("#schedule-date").fill(tomorrow.isoformat())
    page.locator("#schedule-time").select_option(label="7:30 PM")  # after the demo day's sessions
    page.get_by_role("button", name="Go").click()
    page.wait_for_url(re.compile(r"/sessions/new/"))

    first = page.locator(".participant-row").nth(0)
    first.get_by_label("Participant Name or Initials").fill("Jordan")
    first.locator(".contact-pick", has_text="Jordan Lee").click()  # htmx suggestion from the contacts
    assert first.get_by_label("E-mail").input_value() == "jordan.lee@example.com"
    assert first.get_by_label("Participant Time Zone").input_value() == "America/Chicago"

    page.get_by_role("button", name="Add Participant").click()
    second = page.locator(".participant-row").nth(1)
    second.get_by_label("Participant Name or Initials").fill("K.M.")
    second.get_by_label("Session Invite and Reminders").select_option(label="System should not send invite")
    assert not second.get_by_label("E-mail").is_visible()
    assert second.get_by_label("Participant Time Zone").input_value() == "America/New_York"  # the host's zone

    page.locator("select[name='services-0-service']").select_option(label="90837 Psychotherapy, 60 min")
    assert page.locator("input[name='services-0-price']").input_value() == "175.00"

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    session = Session.objects.get(participants__name="K.M.")
    assert session.start.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M") == f"{tomorrow} 19:30"
    card = page.locator(f".session-card[data-session='{session.pk}']")
    code = card.locator("[data-access-code]").inner_text().strip()
    assert re.fullmatch(r"\d{9}", code) and code == session.access_code
    assert card.get_by_text("E-Mail/Text Not Used").is_visible()
    assert card.get_by_text("Jordan Lee").is_visible()
    assert card.get_by_text("K.M.").is_visible()
