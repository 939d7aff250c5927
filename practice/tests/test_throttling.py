"""Login is throttled per account and per address, with one answer for every failure (issue 12, item 2),
and the client address rule behind trusted proxies (practice/throttle.py, issue 12, item 1)."""
import time
import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse

from practice import forms as practice_forms
from practice import throttle
from practice.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh throttle counters for each test, in the real Redis, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def log_in(client, email, password, address="10.0.0.1", **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def answer(response):
    return response.status_code, response.content.decode().split('alert-danger">')[1].split("</div>")[0].strip() \
        if response.status_code != 302 else ""


def logged_in(client):
    return client.get(reverse("sessions_app:dashboard")).status_code == 200


def test_wrong_passwords_lock_the_account_and_the_right_one_then_does_not_log_in(client, world):
    email = world.home.practitioner.email
    for _ in range(practice_forms.LOGIN_MAX_PER_ACCOUNT):
        response = log_in(client, email, "wrong")
        assert response.status_code == 200 and "do not match an account" in response.content.decode()
    response = log_in(client, email, PASSWORD)
    assert response.status_code == 429 and "Too many tries" in response.content.decode()
    assert not logged_in(client)
    # From another address too: the lock is on the account.
    assert log_in(client, email.upper(), PASSWORD, address="10.0.0.2").status_code == 429
    assert not logged_in(client)


def test_an_unknown_account_gets_the_same_answers_as_a_wrong_password(client, world):
    known = [answer(log_in(client, world.home.admin.email, "wrong", address="10.1.0.1")) for _ in range(7)]
    unknown = [answer(log_in(client, "nobody@home.test", "wrong", address="10.1.0.2")) for _ in range(7)]
    assert known == unknown
    assert [status for status, _ in known] == [200] * 5 + [429] * 2


def test_the_account_is_one_whatever_the_case_of_the_email(client, world):
    for n, email in enumerate(["Practitioner@home.test", "PRACTITIONER@HOME.TEST", "practitioner@Home.Test",
                               "pRactitioner@home.test", "practitioner@home.test"]):
        log_in(client, email, "wrong", address=f"10.2.0.{n}")
    assert log_in(client, "practitioner@home.test", PASSWORD, address="10.2.1.1").status_code == 429


def test_one_address_is_throttled_across_accounts(client, world):
    for n in range(practice_forms.LOGIN_MAX_PER_ADDRESS):
        log_in(client, f"guess{n}@home.test", "wrong", address="10.3.0.1")
    assert log_in(client, world.home.staff.email, PASSWORD, address="10.3.0.1").status_code == 429
    assert not logged_in(client)
    assert log_in(client, world.home.staff.email, PASSWORD, address="10.3.0.2").status_code == 302


def test_a_login_elsewhere_does_not_reset_the_guessers_count(client, world):
    email = world.home.client.email
    for _ in range(practice_forms.LOGIN_MAX_PER_ACCOUNT - 1):
        log_in(client, email, "wrong", address="10.4.0.1")
    assert log_in(client, email, PASSWORD, address="10.4.0.2").status_code == 302  # the owner, elsewhere
    client.post(reverse("logout"))
    assert log_in(client, email, "wrong", address="10.4.0.1").status_code == 200  # the 5th wrong one
    assert log_in(client, email, PASSWORD, address="10.4.0.3").status_code == 429


def test_right_passwords_are_not_counted(client, world):
    email = world.home.admin.email
    for _ in range(practice_forms.LOGIN_MAX_PER_ACCOUNT + 2):
        assert log_in(client, email, PASSWORD).status_code == 302
        client.post(reverse("logout"))


def test_the_lock_ends_when_the_window_has_passed(client, world, monkeypatch):
    # Redis expires the counter in real time (time-machine cannot move it): a 2-second window.
    monkeypatch.setattr(practice_forms, "LOGIN_WINDOW_SECONDS", 2)
    email = world.home.practitioner.email
    for _ in range(practice_forms.LOGIN_MAX_PER_ACCOUNT):
        log_in(client, email, "wrong")
    assert log_in(client, email, PASSWORD).status_code == 429
    time.sleep(2.2)
    assert log_in(client, email, PASSWORD).status_code == 302
    assert logged_in(client)


def test_behind_the_proxy_the_address_is_the_client_not_the_proxy(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(practice_forms.LOGIN_MAX_PER_ADDRESS):
        log_in(client, f"guess{n}@home.test", "wrong", address="10.255.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in(client, world.home.staff.email, PASSWORD, address="10.255.0.1",
                  HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert log_in(client, world.home.staff.email, PASSWORD, address="10.255.0.1",
                  HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


@pytest.mark.parametrize("proxies, forwarded_for, expected", [
    (0, "203.0.113.5", "10.255.0.1"),
    (1, "203.0.113.5", "203.0.113.5"),
    (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
    (2, "6.6.6.6, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
    (2, "203.0.113.5", "10.255.0.1"),  # fewer entries than proxies
    (1, "", "10.255.0.1"),
    (1, "unknown", "10.255.0.1"),
    (1, "2001:db8::1", "2001:db8::1"),
])
def test_client_address(settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.255.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert throttle.client_address(request) == expected
