"""In Chromium: the New Session button in the menu bar at phone width (issue 11, item 16), the
recurrence preview in view with "Back to the form" going back (item 17), and the session's service and
a participant's payment service following each other (item 18)."""
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from practice.models import Practice
from sessions_app.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("demo_data", stdout=open("/dev/null", "w"))


def log_in(page, live_server, email="host@demo.test"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def in_three_days():
    return (datetime.now(zoneinfo.ZoneInfo("America/New_York")) + timedelta(days=3)).date()


def test_the_new_session_button_is_top_right_in_the_menu_bar_at_phone_width(chromium, live_server, demo):
    page = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, live_server)
    for path in ("/dashboard/", "/calendar/", "/sessions/", "/contacts/"):
        page.goto(f"{live_server.url}{path}")
        button = page.get_by_role("link", name="New Session", exact=True)
        expect(button).to_be_visible()  # in the bar itself, not inside the collapsed menu
        box = button.bounding_box()
        assert box["y"] < 60 and box["x"] > 390 / 2, (path, box)
    button.click()
    page.wait_for_url(re.compile(r"/sessions/new/$"))
    expect(page.get_by_label("Participant Name or Initials")).to_be_visible()
    page.context.close()


def test_the_recurrence_preview_comes_into_view_and_back_to_the_form_does_not_post(page, live_server, demo):
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    log_in(page, live_server)
    page.goto(f"{live_server.url}/sessions/new/?date={in_three_days().isoformat()}&time=21:00")
    row = page.locator(".participant-row").first
    row.get_by_label("Participant Name or Initials").fill("Pat Weekly")
    row.get_by_label("E-mail").fill("pat.weekly@example.com")
    page.locator("select[name='services-0-service']").select_option(label="90837 Psychotherapy, 60 min")
    page.get_by_label("Recurrence Schedule").select_option(label="Every week")
    page.get_by_label("Number of sessions").fill("6")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()

    preview = page.locator("#series-preview")
    expect(preview.get_by_role("heading", name="Check the schedule")).to_be_in_viewport()
    expect(preview).to_be_focused()
    assert preview.locator("tbody tr").count() == 6
    expect(page.get_by_role("button", name="Save schedule")).to_be_visible()
    posted = len(posts)

    page.get_by_role("button", name="Back to the form").click()
    expect(preview).to_be_hidden()
    assert len(posts) == posted  # nothing posted again
    assert row.get_by_label("Participant Name or Initials").input_value() == "Pat Weekly"  # the filled form
    assert page.get_by_label("Number of sessions").input_value() == "6"
    expect(page.get_by_role("button", name="Save schedule")).to_be_hidden()
    expect(page.get_by_role("heading", name="Add Session Participant")).to_be_in_viewport()

    page.get_by_label("Number of sessions").fill("3")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#series-preview tbody tr")).to_have_count(3)
    assert Session.objects.filter(participants__name="Pat Weekly").count() == 0  # still only a preview
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert Session.objects.filter(participants__name="Pat Weekly").count() == 3


def test_the_session_service_and_the_payment_service_follow_each_other(page, live_server, demo):
    Practice.objects.filter(slug="demo").update(stripe_secret_key="sk_test_demo", stripe_webhook_secret="whsec_demo")
    log_in(page, live_server)
    new_form = f"{live_server.url}/sessions/new/?date={in_three_days().isoformat()}&time=21:00"

    # The session's service first: each participant's payment defaults to it, with its price.
    page.goto(new_form)
    page.locator("select[name='services-0-service']").select_option(label="90837 Psychotherapy, 60 min")
    first = page.locator(".participant-row").nth(0)
    first.get_by_text("Click here to require Payment").click()
    expect(first.get_by_label("Service")).to_have_value(re.compile(r"\d+"))
    assert first.get_by_label("Service").evaluate("s => s.selectedOptions[0].text") == "90837 Psychotherapy, 60 min"
    assert first.get_by_label("Payment Required ($)").input_value() == "175.00"
    page.get_by_role("button", name="Add Participant").click()
    second = page.locator(".participant-row").nth(1)
    second.get_by_text("Click here to require Payment").click()
    assert second.get_by_label("Service").evaluate("s => s.selectedOptions[0].text") == "90837 Psychotherapy, 60 min"
    assert second.get_by_label("Payment Required ($)").input_value() == "175.00"
    # A payment service already chosen is not overwritten by a later change of the session's service.
    page.locator("select[name='services-0-service']").select_option(label="90834 Psychotherapy, 45 min")
    assert first.get_by_label("Service").evaluate("s => s.selectedOptions[0].text") == "90837 Psychotherapy, 60 min"

    # The payment first, on a session with no service yet: the session's service follows it.
    page.goto(new_form)
    row = page.locator(".participant-row").first
    row.get_by_text("Click here to require Payment").click()
    row.get_by_label("Service").select_option(label="90834 Psychotherapy, 45 min")
    assert row.get_by_label("Payment Required ($)").input_value() == "130.00"
    session_service = page.locator("select[name='services-0-service']")
    assert session_service.evaluate("s => s.selectedOptions[0].text") == "90834 Psychotherapy, 45 min"
    assert page.locator("input[name='services-0-price']").input_value() == "130.00"
