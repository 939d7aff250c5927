"""The calendar in Chromium: adding from a day or a dragged interval, closures, the viewer's
zone (now line, today) and drags that land at the intended local time, across clock changes too."""
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from practice.tests.factories import PASSWORD, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


NY = zoneinfo.ZoneInfo("America/New_York")


def log_in(page, live_server, email, password="demo-pass-2026"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
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
    page.get_by_role("button", name="Week", exact=True).click()  # not a user named "… Weeks"
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


def row_of(page, element):
    """The 15-minute row ("14:45:00") of the week view whose band holds the element's vertical middle."""
    box = element.bounding_box()
    middle = box["y"] + box["height"] / 2
    for lane in page.locator("td.fc-timegrid-slot-lane").all():
        row = lane.bounding_box()
        if row["y"] <= middle < row["y"] + row["height"]:
            return lane.get_attribute("data-time")
    return None


def test_the_now_line_and_today_are_on_the_viewers_new_york_clock(page, live_server, world):
    """Browser clock at 2:50 PM in New York (19:50 UTC): the line is in the 2:45 PM row, not 7:45 PM."""
    page.clock.set_fixed_time(datetime(2030, 1, 7, 14, 50, tzinfo=NY))
    log_in(page, live_server, world.home.practitioner.email, PASSWORD)
    page.goto(f"{live_server.url}/calendar/")
    page.get_by_role("button", name="Week", exact=True).click()  # not a user named "… Weeks"
    line = page.locator(".fc-timegrid-now-indicator-line")
    line.wait_for(state="attached")
    assert row_of(page, line) == "14:45:00"
    assert page.locator("td.fc-timegrid-col.fc-day-today").get_attribute("data-date") == "2030-01-07"


def test_after_7_pm_in_new_york_today_is_still_today(page, live_server, world):
    """8:30 PM in New York is 01:30 UTC the next day: "today" stays the New York date."""
    page.clock.set_fixed_time(datetime(2030, 1, 7, 20, 30, tzinfo=NY))
    log_in(page, live_server, world.home.practitioner.email, PASSWORD)
    page.goto(f"{live_server.url}/calendar/")
    assert page.locator("td.fc-daygrid-day.fc-day-today").get_attribute("data-date") == "2030-01-07"
    assert page.evaluate("practiceCalendar.formatIso(practiceCalendar.getDate())").startswith("2030-01-07T")


def drag(page, source, target_x, target_y):
    box = source.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(8, box["height"] / 2))
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 30, steps=5)
    page.mouse.move(target_x, target_y, steps=15)
    page.mouse.up()


def watch_alerts(page):
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    return alerts


def test_a_drag_in_week_view_lands_at_the_intended_new_york_time(page, live_server, world):
    start_day = next_saturday() + timedelta(days=3)  # a Tuesday
    session = SessionFactory(cast=world.home, day=start_day, hour=10, clients=["Jamie Rivera"])
    alerts = watch_alerts(page)
    page.set_viewport_size({"width": 1280, "height": 1500})  # the week from 7 AM to 3 PM, without scrolling
    log_in(page, live_server, world.home.practitioner.email, PASSWORD)
    page.goto(f"{live_server.url}/calendar/?date={start_day.isoformat()}")
    page.get_by_role("button", name="Week", exact=True).click()  # not a user named "… Weeks"
    event = page.locator("a.fc-event", has_text="Jamie Rivera")
    event.wait_for(state="visible")
    target_day = start_day + timedelta(days=1)
    column = page.locator(f"td.fc-timegrid-col[data-date='{target_day.isoformat()}']").bounding_box()
    row = page.locator("td.fc-timegrid-slot-lane[data-time='14:00:00']").bounding_box()
    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(page, event, column["x"] + column["width"] / 2, row["y"] + 8 + 2)  # grabbed 8 px below its top
    assert moved.value.ok, alerts
    session.refresh_from_db()
    assert session.start == datetime.combine(target_day, time(14), tzinfo=NY)
    assert session.end - session.start == timedelta(minutes=50)
    page.locator(f"td.fc-timegrid-col[data-date='{target_day.isoformat()}'] a.fc-event", has_text="Jamie Rivera").wait_for()
    assert alerts == []


def us_clock_change(month, week_day_count):
    """The next US spring-forward (March, 2nd Sunday) or fall-back (November, 1st Sunday) after next week."""
    soon = datetime.now(NY).date() + timedelta(days=7)
    for year in (soon.year, soon.year + 1):
        first = date(year, month, 1)
        sunday = first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (week_day_count - 1))
        if sunday > soon:
            return sunday
    raise AssertionError("no clock change found")


@pytest.mark.parametrize("month, nth, wall, expected_utc_hour_minute", [
    # 02:30 is skipped on the spring Sunday: read as 03:30 EDT (07:30 UTC), like the session form does.
    (3, 2, time(2, 30), (7, 30)),
    # 01:30 happens twice on the fall Sunday: the first one, 01:30 EDT (05:30 UTC); 50 minutes stay 50.
    (11, 1, time(1, 30), (5, 30)),
], ids=["skipped hour", "repeated hour"])
def test_a_month_view_drag_onto_a_clock_change_day_follows_the_forms_rule(page, live_server, world, month, nth, wall,
                                                                           expected_utc_hour_minute):
    sunday = us_clock_change(month, nth)
    saturday = sunday - timedelta(days=1)
    session = SessionFactory(cast=world.home, start=datetime.combine(saturday, wall, tzinfo=NY), clients=["Jamie Rivera"])
    alerts = watch_alerts(page)
    log_in(page, live_server, world.home.practitioner.email, PASSWORD)
    page.goto(f"{live_server.url}/calendar/?date={saturday.isoformat()}")
    event = page.locator(f"td.fc-daygrid-day[data-date='{saturday.isoformat()}'] a.fc-event", has_text="Jamie Rivera")
    event.wait_for(state="visible")
    cell = page.locator(f"td.fc-daygrid-day[data-date='{sunday.isoformat()}']").bounding_box()
    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(page, event, cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] / 2)
    assert moved.value.ok, (moved.value.text(), alerts)
    session.refresh_from_db()
    assert session.start == datetime.combine(sunday, time(*expected_utc_hour_minute), tzinfo=UTC)
    assert session.end - session.start == timedelta(minutes=50)
    assert alerts == []


@pytest.mark.parametrize("how", ["the day's cell", "the day's number"])
def test_a_day_clicked_in_auckland_opens_the_form_for_that_auckland_day(page, live_server, world, how):
    """Midnight in Auckland (UTC+13) is the previous day in UTC: the form still gets the day clicked."""
    host = world.home.practitioner
    host.time_zone = "Pacific/Auckland"
    host.save()
    day = next_saturday()
    log_in(page, live_server, host.email, PASSWORD)
    page.goto(f"{live_server.url}/calendar/?date={day.isoformat()}")
    cell = page.locator(f"td.fc-daygrid-day[data-date='{day.isoformat()}']")
    if how == "the day's number":
        cell.locator("a.fc-daygrid-day-number").click()
    else:
        box = cell.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    page.wait_for_url(re.compile(r"/sessions/new/\?date="))
    assert page.locator("input[name='day']").input_value() == day.isoformat()
