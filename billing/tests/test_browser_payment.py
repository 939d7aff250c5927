"""In Chromium: a host requires payment; a signed Stripe webhook turns the tile to "Paid in full"."""
import json
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
import stripe
from django.core.management import call_command
from django.test import Client

from billing.stripe_stub import event
from practice.models import Practice
from sessions_app.models import Participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_host_requires_payment_and_the_tile_reads_paid_in_full(page, live_server):
    call_command("demo_data", stdout=open("/dev/null", "w"))
    Practice.objects.filter(slug="demo").update(stripe_secret_key="sk_test_demo", stripe_webhook_secret="whsec_demo")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill("host@demo.test")
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    tomorrow = (datetime.now(zoneinfo.ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    page.goto(f"{live_server.url}/sessions/new/?date={tomorrow.isoformat()}&time=20:00")
    row = page.locator(".participant-row").first
    row.get_by_label("Participant Name or Initials").fill("Pat Payer")
    row.get_by_label("E-mail").fill("pat@example.com")
    row.get_by_text("Click here to require Payment").click()
    row.get_by_label("Service").select_option(label="90837 Psychotherapy, 60 min")
    assert row.get_by_label("Payment Required ($)").input_value() == "175.00"  # filled from the service
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    participant = Participant.objects.get(name="Pat Payer")
    tile = page.locator(".participant-tile", has_text="Pat Payer")
    assert "Payment required 175.00" in tile.inner_text()

    payload = json.dumps(event("payment_intent.succeeded", {
        "id": "pi_browser", "object": "payment_intent", "amount": 17500, "amount_received": 17500, "currency": "usd",
        "metadata": {"practice_id": str(participant.session.practice_id), "participant_id": str(participant.pk)}}))
    response = Client().post("/billing/stripe/webhook/demo/", payload, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=stripe.WebhookSignature.generate_signature_header(payload, "whsec_demo"))
    assert response.status_code == 200

    page.reload()
    assert "Paid in full 175.00" in page.locator(".participant-tile", has_text="Pat Payer").inner_text()
