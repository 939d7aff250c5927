"""The client portal in Chromium, as people would use it (issue 13): a practitioner invites a
contact; the client activates from the e-mail link and requests a session in their own zone with
the booking form; the practitioner confirms it from the dashboard; the client sees it under
Bookings, gets one confirmation e-mail, and reschedules it.

Screenshots go to $SCREENSHOT_DIR when it is set (laptop and phone width), else to a temporary
directory."""
import os
import re
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command

from notifications.models import Notification, NotificationKind
from practice.models import User
from sessions_app.models import BookingState, Contact, Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = zoneinfo.ZoneInfo("Europe/London")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("SCREENSHOT_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)

    def shoot(page, name):
        page.screenshot(path=os.path.join(folder, f"portal-{name}.png"), full_page=True)

    return shoot


def log_in(page, live_server, email, password="demo-pass-2026"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def link_in(notification, live_server):
    url = re.search(r"https?://\S+/activate/\S+", notification.body_text).group(0)
    return url.replace(settings.SITE_URL, live_server.url)


def test_a_client_is_invited_books_in_their_zone_is_confirmed_and_reschedules(page, chromium, live_server, shots):
    call_command("demo_data", stdout=open(os.devnull, "w"))
    host = User.objects.get(email="host@demo.test")
    contact = Contact.objects.create(practice=host.memberships.get().practice, owner=host, name="Robin Quinn",
                                     email="robin.quinn@example.com", time_zone="Europe/London")

    # The practitioner invites the contact from the contact's page.
    log_in(page, live_server, "host@demo.test")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    page.get_by_role("button", name="Invite to client portal").click()
    invitation = Notification.objects.get(kind=NotificationKind.PORTAL_INVITE, to_address="robin.quinn@example.com")

    # The client activates from the e-mail link, sets a password and lands in the portal.
    client_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    client = client_context.new_page()
    client.set_default_timeout(15000)
    client.goto(link_in(invitation, live_server))
    client.get_by_label("New password", exact=True).fill("a-long-new-pass-2026")
    client.get_by_label("New password confirmation").fill("a-long-new-pass-2026")
    client.get_by_role("button", name=re.compile("Activate|Set password|Save")).click()
    client.wait_for_url(re.compile(r"/my/$"))
    shots(client, "1-home")

    # Request a Session: service, delivery method, a slot in London time, the booking form, review.
    client.get_by_role("link", name="Request a Session").first.click()
    client.get_by_role("link", name="Book Diagnostic evaluation").click()
    client.get_by_role("link", name="Secure video").click()
    client.wait_for_url(re.compile(r"/my/book/\d+/video/\d+/"))
    assert client.locator("#tz-input").input_value() == "Europe/London"
    shots(client, "2-slots")
    slot = client.locator("a[data-slot]").first
    shown = slot.inner_text().strip()
    slot.click()
    client.wait_for_url(re.compile(r"/details/"))
    client.get_by_label("What would you like to work on?").fill("Sleep, and the worry that keeps me awake.")
    client.get_by_label("Yes").check()
    client.get_by_label("A friend or family member").check()
    client.get_by_role("button", name="Next").click()
    client.wait_for_url(re.compile(r"/my/book/review/$"))
    assert shown in client.locator("[data-review-when]").inner_text()
    shots(client, "3-review")
    client.get_by_role("button", name="Confirm & book").click()
    client.wait_for_url(re.compile(r"/my/bookings/\d+/$"))
    assert client.get_by_text("You should receive a confirmation email once your practitioner confirms the request").first.is_visible()

    session = Session.objects.get(participants__email="robin.quinn@example.com", booking_state=BookingState.REQUESTED)
    assert session.start.astimezone(LONDON).strftime("%-I:%M %p") == shown
    assert session.booking_answers.count() == 3
    assert not Notification.objects.filter(session=session, kind=NotificationKind.INVITE).exists()

    # The practitioner confirms from the dashboard.
    page.goto(f"{live_server.url}/dashboard/")
    request = page.locator(f"#requests [data-request='{session.pk}']")  # the requests list at the top
    shots(page, "4-host-dashboard")
    request.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.get_by_text("Request confirmed").is_visible()
    session.refresh_from_db()
    assert session.booking_state == BookingState.CONFIRMED
    confirmations = Notification.objects.filter(session=session, kind=NotificationKind.INVITE, to_address="robin.quinn@example.com")
    assert confirmations.count() == 1

    # The client sees it confirmed under Bookings, in London time, and reschedules it.
    client.goto(f"{live_server.url}/my/")
    card = client.locator(".card", has_text="Diagnostic evaluation").first
    assert shown in card.inner_text() and "Confirmed" in card.inner_text()
    phone = client_context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{live_server.url}/my/")
    shots(phone, "5-home-phone")
    phone.close()
    card.get_by_role("link", name="Reschedule").click()
    client.wait_for_url(re.compile(r"/reschedule/"))
    old_start = session.start
    client.locator("a[data-slot]").nth(1).click()
    client.get_by_role("button", name="Move to this time").click()
    client.wait_for_url(re.compile(r"/my/bookings/\d+/$"))
    session.refresh_from_db()
    assert session.start != old_start
    assert Session.objects.filter(pk=session.pk, start=old_start).count() == 0
    assert Notification.objects.filter(session=session, kind=NotificationKind.RESCHEDULE).count() == 1
    shots(client, "6-rescheduled")
    client_context.close()
