"""Issue 14 in Chromium, as people would use it.

1. A client with an assigned package books from it (what is left drops), cancels in time (the
   credit returns), books again and cancels late: a Late Cancel fee on their balance and invoice,
   the credit kept.
2. Another client pays at booking through Stripe Checkout (the loopback stub; Stripe's page itself
   is played by the test) and the practitioner confirms from the dashboard: captured once, one
   payment on the ledger.

The clock is set to Monday 30 November 2026, 08:00 in New York (ticking), so the demo's weekly
hours have free slots both within the next 24 hours and later in the week.
Screenshots go to $SCREENSHOT_DIR when it is set."""
import json
import os
import re
import zoneinfo
from datetime import datetime

import pytest
import stripe
import time_machine
from django.core.management import call_command
from django.test import Client

from billing.models import LedgerEntry, Payment
from billing.stripe_stub import StripeStub, event
from practice.models import Membership, Practice, Role, Service, User
from sessions_app.models import BookingState, CancellationPolicy, CompletionType, Session, SessionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=NEW_YORK)
SECRET = "whsec_demo_browser"


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("SCREENSHOT_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=os.path.join(folder, f"packages-{name}.png"), full_page=True)


@pytest.fixture
def demo():
    with time_machine.travel(MONDAY, tick=True):
        call_command("demo_data", stdout=open(os.devnull, "w"))
        yield Practice.objects.get(slug="demo")


def log_in(page, live_server, email, password="demo-pass-2026"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def left(page, live_server) -> str:
    page.goto(f"{live_server.url}/my/packages/")
    return page.locator("[data-package]").first.inner_text()


def pick_slot(page, day):
    """On the slots step: the given day (the month strip links to ``?day=``), then its first time."""
    page.wait_for_url(re.compile(r"/my/book/\d+/\w+/\d+/"))
    page.goto(page.url.split("?")[0] + f"?day={day}")
    assert page.locator("a.strip-day.chosen").get_attribute("data-day") == day
    slot = page.locator("a[data-slot]").first
    when = slot.get_attribute("data-slot")
    slot.click()
    page.wait_for_url(re.compile(r"/my/book/review/$"))
    return datetime.fromisoformat(when)


def book_from_package(page, live_server, day):
    page.goto(f"{live_server.url}/my/")
    page.get_by_role("link", name="Request a Session").first.click()
    page.locator("#packages-modal").get_by_role("link", name=re.compile("Five psychotherapy sessions")).click()
    page.get_by_role("link", name="Book Psychotherapy, 60 min").click()
    page.get_by_role("link", name="Secure video").click()
    page.get_by_role("link", name="Dana Host").click()
    start = pick_slot(page, day)
    assert "uses one session of the package" in page.locator("[data-review-package]").inner_text()
    page.get_by_role("button", name="Confirm & book").click()
    page.wait_for_url(re.compile(r"/my/bookings/\d+/$"))
    return Session.objects.get(start=start, practitioner__email="host@demo.test", status=SessionStatus.SCHEDULED)


def test_a_client_books_from_a_package_cancels_in_time_then_late(demo, page, live_server, shots):
    demo.booking_min_notice_hours = 0
    demo.booking_requires_confirmation = False
    demo.save()
    fee = CompletionType.objects.create(practice=demo, label="Late Cancel $", map_status=SessionStatus.CANCELED,
                                        modifier_type="fixed", client_modifier=40, practitioner_modifier=20)
    CancellationPolicy.objects.filter(practice=demo).update(late_cancel_type=fee)

    log_in(page, live_server, "client@demo.test")
    assert "5 of 5 sessions left" in left(page, live_server)

    # Booked from the package on Wednesday: one credit used.
    wednesday = book_from_package(page, live_server, "2026-12-02")
    assert wednesday.session_services.get().price == 0
    assert "4 of 5 sessions left" in left(page, live_server)
    shots(page, "1-packages")

    # Canceled two days ahead, in time: the credit comes back.
    page.goto(f"{live_server.url}/my/bookings/{wednesday.pk}/cancel/")
    assert "24 hours" in page.locator("main").inner_text()  # the policy text next to Cancel
    page.get_by_role("button", name=re.compile("Cancel the session")).click()
    page.wait_for_url(re.compile(r"/my/$"))
    assert "5 of 5 sessions left" in left(page, live_server)

    # Booked again for today, then canceled inside the 24 hours: a Late Cancel, the credit kept.
    today = book_from_package(page, live_server, "2026-11-30")
    page.goto(f"{live_server.url}/my/bookings/{today.pk}/cancel/")
    shots(page, "2-late-cancel")
    assert "Late Cancel" in page.locator("main").inner_text()
    page.get_by_role("button", name=re.compile("Cancel")).first.click()
    page.wait_for_load_state("networkidle")
    today.refresh_from_db()
    assert today.status == SessionStatus.CANCELED and today.completion_label == "Late Cancel $"
    assert "4 of 5 sessions left" in left(page, live_server)

    page.goto(f"{live_server.url}/billing/my/balance/")
    balance = page.locator("main").inner_text()
    assert "Late Cancel $" in balance and "40.00" in balance
    shots(page, "3-balance")
    client = User.objects.get(email="client@demo.test")
    assert LedgerEntry.objects.filter(client=client, session=today, kind="charge", amount=40).count() == 1


def test_a_client_pays_at_booking_and_the_practitioner_confirms(demo, page, chromium, live_server, settings, shots):
    stub = StripeStub()
    settings.STRIPE_API_BASE = stub.url
    try:
        demo.stripe_secret_key, demo.stripe_webhook_secret = "sk_test_demo", SECRET
        demo.booking_min_notice_hours = 0
        demo.save()
        Service.objects.filter(practice=demo, cpt_code="90791").update(payment_at_booking="full")
        payer = User.objects.create_user("pat.payer@example.com", "a-long-pass-2026", first_name="Pat", last_name="Payer",
                                         time_zone="America/New_York")
        Membership.objects.create(user=payer, practice=demo, role=Role.CLIENT)

        # Stripe's own page is played here: the test completes the Checkout on the stub.
        page.route("https://checkout.stripe.com/**", lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>"))
        log_in(page, live_server, "pat.payer@example.com", "a-long-pass-2026")
        page.goto(f"{live_server.url}/my/book/?package=none")
        page.get_by_role("link", name="Book Diagnostic evaluation").click()
        page.get_by_role("link", name="Secure video").click()
        page.wait_for_url(re.compile(r"/my/book/\d+/video/\d+/"))
        page.goto(page.url.split("?")[0] + "?day=2026-12-01")
        page.locator("a[data-slot]").first.click()
        page.get_by_label("What would you like to work on?").fill("Panic at work.")
        page.get_by_label("No").check()
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(re.compile(r"/my/book/review/$"))
        assert "200.00 USD now" in page.locator("[data-review-pay]").inner_text()
        shots(page, "4-pay-review")
        page.get_by_role("button", name="Confirm & pay").click()
        page.wait_for_url(re.compile(r"https://checkout\.stripe\.com/"))

        session = Session.objects.get(participants__client=payer)
        assert session.booking_state == BookingState.PAYMENT_PENDING
        checkout = stub.calls(r"/v1/checkout/sessions")[0]
        assert checkout["body"]["payment_intent_data"]["capture_method"] == "manual"  # the practitioner confirms
        sid = next(iter(stub.checkouts))
        completed = stub.complete_checkout(sid)
        payload = json.dumps(event("checkout.session.completed", completed))
        response = Client().post("/billing/stripe/webhook/demo/", payload, content_type="application/json",
                                 HTTP_STRIPE_SIGNATURE=stripe.WebhookSignature.generate_signature_header(payload, SECRET))
        assert response.status_code == 200
        session.refresh_from_db()
        assert session.booking_state == BookingState.REQUESTED

        # The practitioner confirms from the dashboard: the payment is captured, once.
        host = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        log_in(host, live_server, "host@demo.test")
        host.goto(f"{live_server.url}/dashboard/")
        host.locator(f"#requests [data-request='{session.pk}']").get_by_role("button", name="Confirm").click()
        host.wait_for_url(re.compile(r"/dashboard/$"))
        shots(host, "5-host-confirmed")
        assert len(stub.calls(r"/v1/payment_intents/[^/]+/capture")) == 1
        intent = stub.intent(completed["payment_intent"])
        payload = json.dumps(event("payment_intent.succeeded", intent))
        Client().post("/billing/stripe/webhook/demo/", payload, content_type="application/json",
                      HTTP_STRIPE_SIGNATURE=stripe.WebhookSignature.generate_signature_header(payload, SECRET))
        session.refresh_from_db()
        assert session.booking_state == BookingState.CONFIRMED
        assert Payment.objects.filter(participant__session=session).count() == 1
        assert LedgerEntry.objects.filter(session=session, kind="payment").count() == 1
        host.context.close()
    finally:
        stub.close()
