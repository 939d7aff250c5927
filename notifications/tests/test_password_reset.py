"""Password reset through the outbox (issue 12, item 3): "Forgot password?" on the login page, the
mail written as a Notification (never sent by Django's send_mail), links that expire after 2 hours
and work once, the same page for unknown e-mails, and throttling per account and per address."""
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from notifications import accounts
from notifications.models import Notification, NotificationKind, State
from practice.models import Membership
from practice.tests.factories import PASSWORD, MembershipFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "brand-new-Secret-8817"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh throttle counters for each test, in the real Redis, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def member(db):
    user = UserFactory(email="reset.me@example.com", first_name="Robin")
    MembershipFactory(user=user, practice=PracticeFactory(name="Calm Waters"))
    return user


def ask(client, email, address="10.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def resets():
    return Notification.objects.filter(kind=NotificationKind.PASSWORD_RESET)


def link_in(notification):
    found = re.search(r"^" + re.escape(settings.SITE_URL) + r"(/password/reset/\S+/)$", notification.body_text, re.M)
    assert found, notification.body_text
    assert found.group(0) in notification.body_html
    return found.group(1)


def set_password(client, link, password=NEW_PASSWORD):
    """Follow the mailed link and post a new password; the response of the post (or of the link)."""
    opened = client.get(link)
    if opened.status_code != 302:  # an invalid link renders the page at once
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def can_log_in(client, email, password):
    response = client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR="10.9.9.9")
    client.logout()
    return response.status_code == 302


def test_login_page_links_to_password_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Forgot password?" in page
    assert reverse("password_reset") == "/password/reset/"
    assert client.get(reverse("password_reset")).status_code == 200


def test_the_whole_flow_through_the_outbox(client, member):
    response = ask(client, "Reset.Me@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    assert mail.outbox == []  # nothing sent by Django: the outbox row is the message
    (notification,) = resets()
    assert notification.state == State.PENDING and notification.channel == "email"
    assert notification.to_address == member.email and notification.recipient_user == member
    assert notification.practice.name == "Calm Waters"
    assert notification.session_id is None and notification.participant_id is None
    assert "Calm Waters" in notification.subject and "Robin" in notification.body_text
    assert notification.get_kind_display() == "Password reset"

    done = set_password(client, link_in(notification))
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert "Password changed" in client.get(done["Location"]).content.decode()
    assert can_log_in(client, member.email, NEW_PASSWORD)
    assert not can_log_in(client, member.email, PASSWORD)


def test_an_unknown_email_gets_the_same_page_and_nothing_is_written(client, member):
    known, unknown = ask(client, member.email, "10.0.0.2"), ask(client, "nobody@example.com", "10.0.0.3")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert resets().count() == 1 and resets().get().to_address == member.email


def test_a_user_with_no_active_membership_gets_no_mail(client, member):
    Membership.objects.filter(user=member).update(is_active=False)
    response = ask(client, member.email)
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert not Notification.objects.exists()


def test_the_mail_is_written_for_the_oldest_active_membership(client, member):
    oldest = Membership.objects.get(user=member)
    MembershipFactory(user=member, practice=PracticeFactory(name="Later Practice"))
    ask(client, member.email)
    assert resets().get().practice_id == oldest.practice_id
    oldest.is_active = False
    oldest.save()
    ask(client, member.email)
    assert resets().order_by("-id").first().practice.name == "Later Practice"


def test_two_requests_write_two_mails(client, member):
    ask(client, member.email)
    ask(client, member.email)
    assert resets().count() == 2
    assert len(set(resets().values_list("dedupe_key", flat=True))) == 2


def test_the_link_expires_after_two_hours(client, member):
    assert settings.PASSWORD_RESET_TIMEOUT == 2 * 60 * 60
    with time_machine.travel(START, tick=False):
        ask(client, member.email)
        ask(client, member.email)
    early, late = resets().order_by("id")
    with time_machine.travel(START + timedelta(hours=2, minutes=1), tick=False):
        expired = set_password(client, link_in(early))
    assert expired.status_code == 200 and "This link does not work" in expired.content.decode()
    assert not can_log_in(client, member.email, NEW_PASSWORD)
    with time_machine.travel(START + timedelta(hours=1, minutes=59), tick=False):
        assert set_password(client, link_in(late)).status_code == 302
    assert can_log_in(client, member.email, NEW_PASSWORD)


def test_the_link_works_once(client, member):
    ask(client, member.email)
    ask(client, member.email)
    first, second = resets().order_by("id")
    assert set_password(client, link_in(first)).status_code == 302
    again = set_password(client, link_in(first), "another-Secret-5521")
    assert again.status_code == 200 and "This link does not work" in again.content.decode()
    # An older link of the same account is spent too: the password it was issued for changed.
    assert "This link does not work" in set_password(client, link_in(second), "another-Secret-5521").content.decode()
    assert can_log_in(client, member.email, NEW_PASSWORD)


def test_the_new_password_must_pass_the_validators(client, member):
    ask(client, member.email)
    response = set_password(client, link_in(resets().get()), "12345678")
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert can_log_in(client, member.email, PASSWORD)


def test_requests_are_throttled_per_account(client, member, caplog):
    for n in range(accounts.RESET_MAX_PER_ACCOUNT):
        assert ask(client, member.email, address=f"10.1.0.{n}")["Location"] == reverse("password_reset_done")
    assert resets().count() == accounts.RESET_MAX_PER_ACCOUNT
    with caplog.at_level(logging.WARNING, logger="notifications.accounts"):
        response = ask(client, member.email.upper(), address="10.1.1.1")  # another address, same account
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert resets().count() == accounts.RESET_MAX_PER_ACCOUNT
    assert any("throttled" in record.getMessage() for record in caplog.records)


def test_requests_are_throttled_per_address(client, member, caplog):
    for n in range(accounts.RESET_MAX_PER_ADDRESS):
        ask(client, f"stranger{n}@example.com", address="10.2.0.1")
    assert not Notification.objects.exists()
    with caplog.at_level(logging.WARNING, logger="notifications.accounts"):
        response = ask(client, member.email, address="10.2.0.1")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert not Notification.objects.exists()
    assert any("throttled" in record.getMessage() for record in caplog.records)
    ask(client, member.email, address="10.2.0.2")  # another address may still ask
    assert resets().count() == 1
