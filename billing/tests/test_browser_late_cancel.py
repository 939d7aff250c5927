"""In Chromium: an admin creates "Late (1 hour)" in Django admin (the demo already has a "Late Cancel"), a host saves a session with it
from the list, and the client's balance and invoice show the label and half the fee."""
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions_app.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, email):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def test_late_cancel_from_admin_to_invoice(chromium, live_server):
    call_command("demo_data", stdout=open("/dev/null", "w"))
    session = (Session.objects.filter(practitioner__email="host@demo.test", participants__client__email="client@demo.test",
                                      end__lt=timezone.now(), status="scheduled").order_by("start").first())
    fee = sum(line.price for line in session.session_services.all())
    half = (fee / 2).quantize(Decimal("0.01"))

    admin = log_in(chromium, live_server, "admin@demo.test")
    admin.goto(f"{live_server.url}/admin/sessions_app/completiontype/add/")
    admin.get_by_label("Map session status").select_option(label="Canceled")
    admin.get_by_label("Label").fill("Late (1 hour)")
    admin.get_by_label("Description").fill("Use this option when the client cancels within 1 hour of the start.")
    admin.get_by_label("Modifier type").select_option(label="Percentage")
    admin.get_by_label("Client modifier").fill("50")
    admin.get_by_label("Practitioner modifier").fill("50")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.wait_for_load_state()
    assert admin.locator("#result_list").get_by_role("link", name="Late (1 hour)").is_visible()
    admin.context.close()

    host = log_in(chromium, live_server, "host@demo.test")
    host.goto(f"{live_server.url}/sessions/open/")
    submit = host.locator("[data-bulk-submit]")
    assert submit.is_disabled()
    host.locator(f"input[name='session'][value='{session.pk}']").check()
    host.locator("#bulk-option").select_option(label="Late (1 hour)")
    assert submit.is_enabled()
    submit.click()
    host.wait_for_load_state()
    assert host.get_by_text(re.compile(r"Saved 1 session as Late \(1 hour\)")).is_visible()
    host.context.close()

    client = log_in(chromium, live_server, "client@demo.test")
    day = session.start.astimezone(zoneinfo.ZoneInfo("America/New_York")).date()
    period = f"from={day.replace(day=1).isoformat()}&to={day.isoformat()}"  # the session's month, whatever today is
    client.goto(f"{live_server.url}/billing/my/balance/?{period}")
    balance = client.content()
    assert "Late (1 hour)" in balance and f"{half}" in balance
    client.get_by_role("link", name=re.compile("invoice", re.I)).first.click()
    client.wait_for_load_state()
    invoice = client.content()
    assert "Late (1 hour)" in invoice and f"{half}" in invoice and day.strftime("%b") in invoice
    client.context.close()
