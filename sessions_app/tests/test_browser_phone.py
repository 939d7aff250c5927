"""Issue 12, item 18: at 390 px the menu button can be seen and no page is wider than the screen."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from practice.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _phone_page(chromium, live_server, user):
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    return context, page


def test_the_menu_button_is_visible_at_phone_width(chromium, live_server, world):
    context, page = _phone_page(chromium, live_server, world.home.practitioner)
    try:
        toggler = page.locator(".navbar-toggler")
        assert toggler.is_visible()
        page.screenshot(path="/tmp/phone-menu.png")
        image = Image.open(io.BytesIO(toggler.screenshot())).convert("L")
        darkest, lightest = image.getextrema()
        assert lightest - darkest > 100, (darkest, lightest)  # its icon stands out from its background
        toggler.click()
        assert page.locator("#mainnav").get_by_role("link", name="Calendar").first.is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("role, paths", [
    ("practitioner", ["sessions_app:calendar", "sessions_app:dashboard", "sessions_app:session_list",
                      "sessions_app:contacts", "sessions_app:session_new"]),
    ("client", ["sessions_app:calendar", "portal:home"]),
])
def test_no_page_is_wider_than_a_phone(chromium, live_server, world, role, paths):
    context, page = _phone_page(chromium, live_server, world.home.member(role))
    try:
        for name in paths:
            page.goto(f"{live_server.url}{reverse(name)}")
            page.wait_for_load_state("networkidle")
            if name == "sessions_app:calendar":
                page.wait_for_selector(".fc-toolbar")
                page.screenshot(path=f"/tmp/phone-calendar-{role}.png")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (name, width)
    finally:
        context.close()
