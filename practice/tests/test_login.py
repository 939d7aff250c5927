import pytest
from django.core.management import call_command
from django.urls import reverse

from practice.models import Membership, Practice, Service, User
from sessions_app.models import Contact, Session

pytestmark = pytest.mark.django_db


def test_login_page_is_served(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("sessions_app:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "email, landing",
    [
        ("admin@demo.test", "sessions_app:dashboard"),
        ("staff@demo.test", "sessions_app:dashboard"),
        ("host@demo.test", "sessions_app:dashboard"),
        ("host2@demo.test", "sessions_app:dashboard"),
        ("client@demo.test", "portal:home"),
    ],
)
def test_demo_logins_work(client, email, landing):
    call_command("demo_data", stdout=open("/dev/null", "w"))
    response = client.post(reverse("login"), {"username": email, "password": "demo-pass-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


def test_login_is_case_insensitive_on_email(client, world):
    response = client.post(reverse("login"), {"username": "PRACTITIONER@Home.test", "password": "test-pass-2026"})
    assert response.status_code == 302


def test_wrong_password_gets_a_plain_error(client, world):
    response = client.post(reverse("login"), {"username": world.home.admin.email, "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an account" in response.content


def test_logout_ends_the_session(login, world):
    client = login(world.home.practitioner)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("sessions_app:dashboard")).status_code == 302


def test_demo_data_is_idempotent():
    call_command("demo_data", stdout=open("/dev/null", "w"))
    counts = [m.objects.count() for m in (Practice, User, Membership, Service, Contact, Session)]
    call_command("demo_data", stdout=open("/dev/null", "w"))
    assert [m.objects.count() for m in (Practice, User, Membership, Service, Contact, Session)] == counts
    practice = Practice.objects.get(slug="demo")
    assert practice.name == "Demo Practice" and practice.time_zone == "America/New_York"
    assert counts[-1] > 50


def test_user_without_a_practice_is_told_so(client, db):
    User.objects.create_user("lonely@example.com", "test-pass-2026")
    client.login(email="lonely@example.com", password="test-pass-2026")
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"not part of a practice" in response.content
