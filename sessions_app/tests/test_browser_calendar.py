"""The calendar in Chromium: adding from a day or a dragged interval, and closures."""
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def next_saturday():
    today = datetime.now(zoneinfo.ZoneInfo("America/New_York")).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


@pytest.fixture
def demo():
    call_command("demo_data", stdout=open("/dev/null", "w"))


def test_month_view_click_on_a_day_opens_the_form_for_that_day(page, live_server, demo):
    day = next_saturday()
    log_in(page, live_server, "host@demo.test")
    page.goto(f"{live_server.url}/calendar/?date={day.isoformat()}")
    cell = page.locator(f"td.fc-daygrid-day[data-date='{day.isoformat()}']")
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    page.wait_for_url(re.compile(r"/sessions/new/\?date="))
    assert page.locator("input[name='day']").input_value() == day.isoformat()


def test_week_view_drag_opens_the_form_with_the_dragged_start_and_end(page, live_server, demo):
    day = next_saturday()
    log_in(page, live_server, "host@demo.test")
    page.goto(f"{live_server.url}/calendar/?date={day.isoformat()}")
    page.get_by_role("button", name="Week").click()
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").bounding_box()
    start = page.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    last = page.locator("td.fc-timegrid-slot-lane[data-time='11:15:00']").bounding_box()
    x = column["x"] + column["width"] / 2
    page.mouse.move(x, start["y"] + 3)
    page.mouse.down()
    page.mouse.move(x, start["y"] + 40, steps=5)
    page.mouse.move(x, last["y"] + last["height"] / 2, steps=10)
    page.mouse.up()
    page.wait_for_url(re.compile(r"/sessions/new/"))
    assert page.locator("input[name='day']").input_value() == day.isoformat()
    assert page.locator("select[name='start_time']").input_value() == "10:00"
    assert page.locator("input[name='duration_minutes']").input_value() == "90"


def test_a_closure_added_by_staff_shows_on_a_clients_calendar(chromium, live_server, demo):
    day = next_saturday() + timedelta(days=2)
    staff = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(staff, live_server, "staff@demo.test")
    staff.goto(f"{live_server.url}/calendar/")
    staff.get_by_role("button", name="Add closure").click()
    staff.get_by_label("Title").fill("Snow day")
    staff.get_by_label("First day").fill(day.isoformat())
    staff.locator("#closure-modal").get_by_role("button", name="Add closure").click()
    staff.wait_for_load_state()
    staff.get_by_text("Closure “Snow day").first.wait_for(state="visible")
    assert staff.get_by_text("Closure “Snow day").first.is_visible()
    staff.context.close()

    client = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(client, live_server, "client@demo.test")
    client.goto(f"{live_server.url}/calendar/?date={day.isoformat()}")
    cell = client.locator(f"td.fc-daygrid-day[data-date='{day.isoformat()}']")
    # The events arrive after the page loads: wait for them (up to the page's timeout), then look.
    cell.get_by_text("Closed: Snow day").wait_for(state="visible")
    assert cell.get_by_text("Closed: Snow day").is_visible()
    client.context.close()
