"""Security headers (issue 12, item 9): a same-origin Content-Security-Policy and a Permissions-Policy on
every answer, and no caching of pages with client data (logged in, or a payment page by its token)."""
import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from billing import payments
from practice.headers import SecurityHeadersMiddleware, permissions_policy
from practice.tests.factories import ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
       "object-src 'none'")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=()"
YEAR = "from=2025-01-01&to=2025-12-31"


def assert_private(response, csp=CSP):
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Security-Policy"] == csp
    assert response["Permissions-Policy"] == PERMISSIONS


def test_team_pages_with_client_data_are_not_cached(login, world):
    session = SessionFactory(cast=world.home, clients=["Jamie Rivera"])
    client = login(world.home.admin)
    for path in (reverse("sessions_app:dashboard"), reverse("sessions_app:session_detail", args=[session.pk]),
                 reverse("sessions_app:calendar_events") + "?start=2025-01-01&end=2025-02-01",
                 reverse("billing:invoice", args=["u", world.home.client.pk]) + "?" + YEAR,
                 reverse("billing:invoice_pdf", args=["u", world.home.client.pk]) + "?" + YEAR,
                 reverse("admin:index")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_private(response)


def test_clients_pages_are_not_cached_either(login, world):
    response = login(world.home.client).get(reverse("billing:my_balance"))
    assert response.status_code == 200
    assert_private(response)


def test_payment_pages_by_token_are_not_cached(client, world):
    session = SessionFactory(cast=world.home)
    participant = ParticipantFactory(session=session, name="Pat Payer")
    token = payments.payment_token(participant)
    # The payment page's form is redirected to Stripe Checkout: only that page allows its origin.
    to_stripe = CSP.replace("form-action 'self'", "form-action 'self' https://checkout.stripe.com")
    for name, csp in (("billing:pay", to_stripe), ("billing:pay_done", CSP)):
        response = client.get(reverse(name, args=[token]))
        assert response.status_code == 200, name
        assert_private(response, csp)


def test_anonymous_pages_get_the_policies(client):
    response = client.get(reverse("login"))
    assert response["Content-Security-Policy"] == CSP
    assert response["Permissions-Policy"] == PERMISSIONS


def test_a_view_may_allow_camera_and_microphone_for_itself():
    @permissions_policy(camera="(self)", microphone="(self)")
    def meeting(request):
        return HttpResponse("room")

    response = SecurityHeadersMiddleware(meeting)(RequestFactory().get("/meeting/"))
    assert response["Permissions-Policy"] == "camera=(self), microphone=(self), geolocation=(), payment=()"
    plain = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))(RequestFactory().get("/"))
    assert plain["Permissions-Policy"] == PERMISSIONS
