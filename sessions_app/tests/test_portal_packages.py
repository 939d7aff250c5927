"""The portal's Packages section and the "Request a Session" pop-up (issue 14).

The clock stands still on Monday 7 January 2030, 08:00 in New York. Packages are made with
billing.packages (the tests may reach billing; the app itself only through sessions_app.money).
"""
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing import packages
from billing.models import ClientPackage, PackageProduct, PackageState
from billing.stripe_stub import StripeStub
from practice.models import Role
from practice.tests.factories import MembershipFactory, UserFactory
from sessions_app import booking
from sessions_app.tests.portal_helpers import make_bookable

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=NY)
TEN = datetime(2030, 1, 9, 10, 0, tzinfo=NY)
HOME_PART = reverse("portal:packages") + "?part=home"
MODAL = 'id="packages-modal"'


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def service(world):
    return make_bookable(world.home)


@pytest.fixture
def as_client(world, login):
    return login(world.home.client)


@pytest.fixture
def stub(settings):
    server = StripeStub()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


def stripe_on(practice):
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", "whsec_portal_packages"
    practice.save()


def product(cast, *, name="Ten sessions", sessions=10, price="900.00", days=90, weekly=None):
    item = PackageProduct.objects.create(practice=cast.practice, name=name, session_count=sessions, price=Decimal(price),
                                         validity_days=days, weekly_limit=weekly)
    item.services.set([cast.service])
    return item


def give(cast, *, how=packages.FREE, client=None, now=None, **terms):
    return packages.assign(practice=cast.practice, actor=cast.admin, client=client or cast.client, product=product(cast, **terms),
                           how=how, now=now)


def shown(response) -> str:
    return response.content.decode()


def part(browser):
    response = browser.get(HOME_PART, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return shown(response)


# --- The Packages section --------------------------------------------------------------------------

def test_the_packages_page_shows_what_is_left_and_until_when_with_book_session(world, service, as_client):
    package = give(world.home, name="Spring bundle", sessions=3, weekly=1)
    booking.book(membership=world.home.client.memberships.get(), data=booking.BookingData(
        service=service, delivery_method="video", practitioner=world.home.practitioner, start=TEN,
        time_zone="America/New_York", package_id=package.pk))
    page = shown(as_client.get(reverse("portal:packages")))
    assert "Spring bundle" in page and "2 of 3 sessions left" in page
    assert "Valid until Sunday, April 7, 2030" in page and "at most 1 a week" in page
    assert f'href="{reverse("portal:book")}?package={package.pk}"' in page and "Book session" in page
    assert "Pay now" not in page


def test_used_up_expired_and_canceled_packages_are_listed_apart_without_book_session(world, service, as_client):
    expired = give(world.home, name="Old bundle", days=10, now=NOW - timedelta(days=30))
    used = give(world.home, name="Single", sessions=1)
    booking.book(membership=world.home.client.memberships.get(), data=booking.BookingData(
        service=service, delivery_method="video", practitioner=world.home.practitioner, start=TEN,
        time_zone="America/New_York", package_id=used.pk))
    canceled = packages.cancel(practice=world.home.practice, actor=world.home.admin,
                               client_package=give(world.home, name="Dropped"))
    page = shown(as_client.get(reverse("portal:packages")))
    assert "Used up, expired and canceled" in page
    for package, label in ((expired, "Expired"), (used, "Used up"), (canceled, "Canceled")):
        assert package.name in page and label in page
        assert f"?package={package.pk}\"" not in page
    assert "You have no active packages." in page


def test_a_package_awaiting_payment_offers_pay_now_and_it_goes_to_checkout(world, as_client, stub):
    stripe_on(world.home.practice)
    package = give(world.home, name="Spring bundle", price="450.00", how=packages.STRIPE)
    page = as_client.get(reverse("portal:packages"))
    assert "Pay now" in shown(page) and "450.00 USD" in shown(page) and "valid for 90 days from payment" in shown(page)
    assert "https://checkout.stripe.com" in page["Content-Security-Policy"].split("form-action")[1].split(";")[0]
    response = as_client.post(reverse("portal:package_pay", args=[package.pk]))
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]
    assert request["body"]["metadata"] == {"practice_id": str(world.home.practice.pk), "client_package_id": str(package.pk)}
    assert request["body"]["line_items"]["0"]["price_data"]["unit_amount"] == "45000"
    htmx = as_client.post(reverse("portal:package_pay", args=[package.pk]), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    back = as_client.get(reverse("portal:packages"), {"paid": package.pk})
    assert "Your payment for “Spring bundle” is being confirmed" in shown(back)


def test_pay_now_for_a_package_that_is_not_due_says_so_and_starts_nothing(world, as_client, stub):
    stripe_on(world.home.practice)
    package = give(world.home)
    response = as_client.post(reverse("portal:package_pay", args=[package.pk]), follow=True)
    assert "This package is not waiting for a payment." in shown(response)
    assert not [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]
    assert as_client.get(reverse("portal:package_pay", args=[package.pk])).status_code == 405


def test_pay_now_when_stripe_cannot_be_reached_is_a_message(world, as_client, settings):
    stripe_on(world.home.practice)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    package = give(world.home, price="450.00", how=packages.STRIPE)
    response = as_client.post(reverse("portal:package_pay", args=[package.pk]), follow=True)
    assert "The payment page could not be opened just now." in shown(response)
    assert ClientPackage.objects.get().state == PackageState.AWAITING_PAYMENT


# --- The pop-up on the portal home ------------------------------------------------------------------

def test_the_home_loads_the_packages_card_and_its_script(world, service, as_client):
    home = shown(as_client.get(reverse("portal:home")))
    assert f'hx-get="{HOME_PART.replace("&", "&amp;")}"' in home
    assert "js/portal_packages.js" in home
    assert len(re.findall(r"data-request-session", home)) >= 2  # the button and the phone's floating button
    assert "<script>" not in home  # CSP script-src 'self': no inline script


def test_the_pop_up_lists_only_packages_that_can_be_booked_from(world, service, as_client):
    assert MODAL not in part(as_client) and "You have no active packages." in part(as_client)
    stripe_on(world.home.practice)
    give(world.home, name="Unpaid", price="450.00", how=packages.STRIPE)
    give(world.home, name="Old bundle", days=10, now=NOW - timedelta(days=30))
    packages.cancel(practice=world.home.practice, actor=world.home.admin, client_package=give(world.home, name="Dropped"))
    assert MODAL not in part(as_client)  # none of them can be booked from

    soon = give(world.home, name="Short bundle", days=20, sessions=4)
    later = give(world.home, name="Long bundle", days=200)
    html = part(as_client)
    assert MODAL in html and "Click on the name of your Package" in html
    links = re.findall(r'href="/my/book/\?package=(\w+)" data-package-choice', html)
    assert links == [str(soon.pk), str(later.pk), "none"]  # soonest to expire first, then "Book without a package"
    assert "Book without a package" in html
    assert "4 of 4 sessions left · valid until Jan 27, 2030" in html
    for name in ("Unpaid", "Old bundle", "Dropped"):
        assert name not in html


def test_the_pop_up_leaves_out_another_clients_packages(world, service, as_client):
    someone = UserFactory(email="someone@home.test")
    MembershipFactory(user=someone, practice=world.home.practice, role=Role.CLIENT)
    give(world.home, name="Theirs", client=someone)
    assert MODAL not in part(as_client) and "Theirs" not in shown(as_client.get(reverse("portal:packages")))


# --- Who sees what ----------------------------------------------------------------------------------

def test_another_clients_or_practices_package_answers_404_on_pay_now(world, as_client, stub):
    stripe_on(world.home.practice)
    someone = UserFactory(email="someone@home.test")
    MembershipFactory(user=someone, practice=world.home.practice, role=Role.CLIENT)
    theirs = give(world.home, price="450.00", how=packages.STRIPE, client=someone)
    stripe_on(world.outsider.practice)
    outside = give(world.outsider, price="450.00", how=packages.STRIPE)
    for package in (theirs, outside):
        assert as_client.post(reverse("portal:package_pay", args=[package.pk])).status_code == 404
    assert not [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]
    assert "Theirs" not in shown(as_client.get(reverse("portal:packages")))


def test_an_outsider_client_never_sees_the_home_practices_packages(world, login):
    give(world.home, name="Home bundle")
    outsider = login(world.outsider.client)
    assert "Home bundle" not in shown(outsider.get(reverse("portal:packages")))
    assert MODAL not in part(outsider)


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_team_members_get_403_on_the_portal_packages_pages(world, login, role):
    package = give(world.home)
    browser = login(world.home.member(role))
    assert browser.get(reverse("portal:packages")).status_code == 403
    assert browser.post(reverse("portal:package_pay", args=[package.pk])).status_code == 403


def test_nobody_logged_in_is_sent_to_log_in(client):
    response = client.get(reverse("portal:packages"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_pay_now_twice_reuses_the_open_checkout_and_a_paid_one_is_not_opened_again(world, as_client, stub):
    stripe_on(world.home.practice)
    package = give(world.home, name="Spring bundle", price="450.00", how=packages.STRIPE)
    pay = reverse("portal:package_pay", args=[package.pk])
    first, second = as_client.post(pay), as_client.post(pay)
    assert first["Location"] == second["Location"] and len(stub.checkouts) == 1
    [sid] = stub.checkouts
    package.refresh_from_db()
    assert package.checkout_session_id == sid
    stub.complete_checkout(sid)  # paid; the webhook is on its way
    third = as_client.post(pay, follow=True)
    assert "Your payment went through and is being confirmed" in shown(third) and len(stub.checkouts) == 1


def test_pay_now_after_the_checkout_expired_opens_a_new_one(world, as_client, stub):
    stripe_on(world.home.practice)
    package = give(world.home, price="450.00", how=packages.STRIPE)
    pay = reverse("portal:package_pay", args=[package.pk])
    old = as_client.post(pay)["Location"]
    [sid] = stub.checkouts
    stub.checkouts[sid].update(status="expired", url=None)  # Stripe expired it after its day
    new = as_client.post(pay)["Location"]
    assert new != old and len(stub.checkouts) == 2
    package.refresh_from_db()
    assert package.checkout_session_id != sid and stub.checkouts[package.checkout_session_id]["status"] == "open"


def test_a_checkout_open_for_another_amount_is_expired_before_a_new_one(world, as_client, stub):
    stripe_on(world.home.practice)
    package = give(world.home, price="450.00", how=packages.STRIPE)
    pay = reverse("portal:package_pay", args=[package.pk])
    as_client.post(pay)
    [sid] = stub.checkouts
    ClientPackage.objects.filter(pk=package.pk).update(price=Decimal("400.00"))  # the office corrected the price
    as_client.post(pay)
    package.refresh_from_db()
    assert stub.checkouts[sid]["status"] == "expired"  # the page for 450.00 can no longer be paid
    assert stub.checkouts[package.checkout_session_id]["amount_total"] == 40000
