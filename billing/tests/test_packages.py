"""Packages (issue 14): products, assigning or selling one to a client, what is left (derived from
redemptions), the booking rules on a package, the last credit under concurrency on PostgreSQL, and
the sale through Stripe Checkout (loopback stub, SDK-signed webhooks, replayed).

The clock stands still on Monday 7 January 2030, 08:00 in New York; the home practitioner
publishes 09:00–17:00 every day (sessions_app/tests/portal_helpers.make_bookable).
"""
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import stripe
import time_machine
from django.db import connection
from django.test import TestCase
from django.urls import reverse

from billing import access, packages
from billing.models import (
    ClientPackage,
    EntryKind,
    LedgerEntry,
    PackageProduct,
    PackageRedemption,
    PackageState,
    Payment,
    StripeEvent,
)
from billing.stripe_stub import StripeStub, event
from notifications.models import Notification
from practice.errors import DomainError
from practice.models import AccessLogEntry, Role, WeeklyHours
from practice.tests.factories import MembershipFactory, ServiceFactory, SessionFactory, UserFactory
from sessions_app import booking
from sessions_app.models import Participant, Session
from sessions_app.tests.portal_helpers import make_bookable

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=NY)
TEN = datetime(2030, 1, 9, 10, 0, tzinfo=NY)  # a Wednesday
SECRET = "whsec_packages_secret"
NO_SESSIONS_LEFT = "That package has no sessions left."
THREADS = 12


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def service(world):
    return make_bookable(world.home)


def product(cast, *, name="Ten sessions", sessions=10, price="900.00", days=180, weekly=None, services=None):
    item = PackageProduct.objects.create(practice=cast.practice, name=name, session_count=sessions, price=Decimal(price),
                                         validity_days=days, weekly_limit=weekly)
    item.services.set(services or [cast.service])
    return item


def give(world, item, *, how=packages.FREE, client=None, now=None):
    return packages.assign(practice=world.home.practice, actor=world.home.admin, client=client or world.home.client,
                           product=item, how=how, now=now)


def membership_of(user, practice):
    return user.memberships.get(practice=practice)


def book_on(world, service, start, package_id, *, client=None, practitioner=None):
    client = client or world.home.client
    return booking.book(membership=membership_of(client, world.home.practice), data=booking.BookingData(
        service=service, delivery_method="video", practitioner=practitioner or world.home.practitioner, start=start,
        time_zone="America/New_York", package_id=package_id))


def left(package):
    return packages.remaining(ClientPackage.objects.get(pk=package.pk))


def written():
    return (Session.objects.count(), Participant.objects.count(), PackageRedemption.objects.count(),
            Notification.objects.count(), LedgerEntry.objects.count())


# --- What is left, and the booking rules on a package ----------------------------------------------

def test_what_is_left_is_derived_from_the_live_redemptions(world, service):
    package = give(world, product(world.home, sessions=3))
    assert left(package) == 3
    first = book_on(world, service, TEN, package.pk)
    book_on(world, service, TEN + timedelta(days=1), package.pk)
    assert left(package) == 1
    assert first.session_services.get().price == Decimal("0.00")  # paid for by the package
    packages.return_credit(session=first, reason="Canceled in time.")
    assert left(package) == 2  # a voided redemption gives the credit back
    [annotated] = packages.with_remaining(ClientPackage.objects.filter(pk=package.pk))
    assert (annotated.used, packages.remaining(annotated)) == (1, 2)
    assert PackageRedemption.objects.count() == 2  # the voided row stays, as history


def test_an_expired_package_cannot_be_booked_from_and_nothing_is_written(world, service):
    package = give(world, product(world.home, days=30), now=NOW - timedelta(days=31))
    before = written()
    with pytest.raises(DomainError, match="That package ran out after Jan 6, 2030"):  # its last valid day
        book_on(world, service, TEN, package.pk)
    assert written() == before
    assert packages.usable_packages(world.home.practice, world.home.client) == []


def test_a_package_that_expires_before_the_session_is_refused(world, service):
    package = give(world, product(world.home, days=1))  # through Tuesday
    with pytest.raises(DomainError, match="expires before the session"):
        book_on(world, service, TEN, package.pk)
    assert not Session.objects.exists()


def test_the_weekly_limit_counts_monday_to_sunday_in_the_practices_zone(world, service):
    package = give(world, product(world.home, weekly=1))
    book_on(world, service, TEN, package.pk)  # Wednesday
    with pytest.raises(DomainError, match="allows 1 session\\(s\\) a week"):
        book_on(world, service, datetime(2030, 1, 13, 16, 0, tzinfo=NY), package.pk)  # Sunday, same week
    assert Session.objects.count() == 1
    book_on(world, service, datetime(2030, 1, 14, 9, 0, tzinfo=NY), package.pk)  # Monday: a new week
    assert left(package) == 8


def test_a_service_the_package_does_not_cover_is_refused(world, service):
    other = ServiceFactory(practice=world.home.practice, name="Couples therapy", bookable_online=True, duration_minutes=50)
    other.practitioners.add(world.home.practitioner)
    package = give(world, product(world.home))  # covers the home service only
    with pytest.raises(DomainError, match="That package does not cover this service."):
        book_on(world, other, TEN, package.pk)
    assert not Session.objects.exists() and not PackageRedemption.objects.exists()


def test_another_clients_or_practices_package_is_refused_and_nothing_is_written(world, service):
    someone = UserFactory(email="someone@home.test")
    MembershipFactory(user=someone, practice=world.home.practice, role=Role.CLIENT)
    theirs = give(world, product(world.home), client=someone)
    outside = packages.assign(practice=world.outsider.practice, actor=world.outsider.admin, client=world.outsider.client,
                              product=product(world.outsider), how=packages.FREE)
    before = written()
    for package in (theirs, outside):
        with pytest.raises(DomainError, match="That package cannot be booked from."):
            book_on(world, service, TEN, package.pk)
    assert written() == before
    assert left(theirs) == 10 and left(outside) == 10


def test_a_canceled_or_unpaid_package_cannot_be_booked_from(world, service):
    unpaid = give(world, product(world.home), how=packages.OUTSIDE)
    ClientPackage.objects.filter(pk=unpaid.pk).update(state=PackageState.AWAITING_PAYMENT)
    canceled = packages.cancel(practice=world.home.practice, actor=world.home.admin,
                               client_package=give(world, product(world.home, name="Five", sessions=5)))
    for package in (unpaid, canceled):
        with pytest.raises(DomainError, match="That package cannot be booked from."):
            book_on(world, service, TEN, package.pk)
    assert not Session.objects.exists()


# --- The last credit, taken once (PostgreSQL, threads) -------------------------------------------

def _fire(calls):
    """Run the callables at once (a barrier), each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index):
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as error:  # the answer of a refused booking, or a failure that fails the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_the_last_credit_is_used_once_when_many_bookings_race_for_it(world):
    service = make_bookable(world.home)
    # Each booking is with a practitioner of its own, so no practitioner's bookings lock lines them
    # up: the package's row lock is what makes one of them the winner.
    practitioners = [world.home.practitioner]
    for index in range(1, THREADS):
        person = UserFactory(email=f"host{index}@home.test")
        MembershipFactory(user=person, practice=world.home.practice, role=Role.PRACTITIONER)
        WeeklyHours.objects.bulk_create(WeeklyHours(practice=world.home.practice, practitioner=person, weekday=day,
                                                    start_time=datetime.min.time().replace(hour=9),
                                                    end_time=datetime.min.time().replace(hour=17)) for day in range(7))
        service.practitioners.add(person)
        practitioners.append(person)
    package = give(world, product(world.home, sessions=2))
    earlier = book_on(world, service, TEN - timedelta(days=1), package.pk)  # one credit left
    before = Session.objects.count(), Participant.objects.count(), Notification.objects.count()

    results = _fire([
        lambda person=person, index=index: book_on(world, service, TEN + timedelta(minutes=30 * (index % 2)), package.pk,
                                                   practitioner=person)
        for index, person in enumerate(practitioners)
    ])

    booked = [r for r in results if isinstance(r, Session)]
    refused = [r for r in results if not isinstance(r, Session)]
    assert len(booked) == 1, results
    assert all(type(r) is DomainError and r.messages == [NO_SESSIONS_LEFT] for r in refused), results
    [winner] = booked
    live = PackageRedemption.objects.filter(client_package=package, voided_at__isnull=True)
    assert sorted(live.values_list("session_id", flat=True)) == sorted([earlier.pk, winner.pk])
    assert left(package) == 0
    # The losers left nothing behind: no session, participant or message of theirs.
    assert Session.objects.exclude(pk__in=[earlier.pk, winner.pk]).count() == 0
    assert Session.objects.count() == before[0] + 1 and Participant.objects.count() == before[1] + 1
    assert Notification.objects.count() - before[2] == Notification.objects.filter(session=winner).count()


# --- Assigning, selling, canceling -----------------------------------------------------------------

def account_lines(world, client=None):
    account = access.client_account_for(membership_of(world.home.admin, world.home.practice), access.USER,
                                        (client or world.home.client).pk)
    return account.lines(world.home.practice).order_by("id")


def test_paid_outside_puts_the_charge_and_the_payment_on_the_clients_balance(world):
    package = give(world, product(world.home, name="Spring bundle", price="450.00", days=90), how=packages.OUTSIDE)
    assert package.state == PackageState.ACTIVE and package.paid_outside
    # Valid through the 90th day after the start day, in the practice's zone (across the March change).
    assert (package.starts_at, package.expires_at) == (NOW, datetime(2030, 4, 8, 0, 0, tzinfo=NY))
    assert list(package.services.all()) == [world.home.service]
    lines = list(account_lines(world).values_list("kind", "label", "amount"))
    assert lines == [(EntryKind.CHARGE, "Package: Spring bundle", Decimal("450.00")),
                     (EntryKind.PAYMENT, "Paid outside the app", Decimal("-450.00"))]
    assert all(line.service_date == NOW.date() and line.created_by == world.home.admin for line in account_lines(world))


def test_free_gives_an_active_package_and_no_ledger_lines(world):
    package = give(world, product(world.home), how=packages.FREE)
    assert (package.state, package.price, package.paid_outside) == (PackageState.ACTIVE, Decimal("0"), False)
    assert not LedgerEntry.objects.exists()


def test_the_package_is_a_copy_of_the_products_terms(world):
    item = product(world.home, sessions=4, weekly=2)
    package = give(world, item, how=packages.OUTSIDE)
    item.session_count, item.price, item.weekly_limit, item.name = 20, Decimal("1.00"), None, "Renamed"
    item.save()
    item.services.clear()
    package.refresh_from_db()
    assert (package.name, package.session_count, package.price, package.weekly_limit) == ("Ten sessions", 4, Decimal("900.00"), 2)
    assert list(package.services.all()) == [world.home.service]


@pytest.mark.parametrize("case", ["another practice's product", "inactive product", "not a client", "outsider client",
                                  "stripe not set up", "stripe for a free package", "unknown how"])
def test_assign_refuses_in_plain_words_and_writes_nothing(world, case):
    item, client, how = product(world.home), world.home.client, packages.OUTSIDE
    if case == "another practice's product":
        item = product(world.outsider)
    elif case == "inactive product":
        item.is_active = False
        item.save()
    elif case == "not a client":
        client = world.home.staff
    elif case == "outsider client":
        client = world.outsider.client
    elif case == "stripe not set up":
        how = packages.STRIPE
    elif case == "stripe for a free package":
        item = product(world.home, name="Free intro", price="0")
        world.home.practice.stripe_secret_key, world.home.practice.stripe_webhook_secret = "sk_test_x", SECRET
        world.home.practice.save()
        how = packages.STRIPE
    else:
        how = "cash"
    with pytest.raises(DomainError):
        packages.assign(practice=world.home.practice, actor=world.home.admin, client=client, product=item, how=how)
    assert not ClientPackage.objects.exists() and not LedgerEntry.objects.exists()


def test_cancel_only_a_package_nothing_is_booked_on(world, service):
    used = give(world, product(world.home), how=packages.OUTSIDE)
    book_on(world, service, TEN, used.pk)
    with pytest.raises(DomainError, match="Sessions are booked on this package"):
        packages.cancel(practice=world.home.practice, actor=world.home.admin, client_package=used)
    unused = give(world, product(world.home, name="Other"), how=packages.OUTSIDE)
    lines = LedgerEntry.objects.count()
    assert packages.cancel(practice=world.home.practice, actor=world.home.admin, client_package=unused).state == PackageState.CANCELED
    assert LedgerEntry.objects.count() == lines  # nothing else changes
    with pytest.raises(DomainError, match="already canceled"):
        packages.cancel(practice=world.home.practice, actor=world.home.admin, client_package=unused)


# --- Selling through Stripe Checkout -----------------------------------------------------------------

@pytest.fixture
def stub(settings):
    server = StripeStub()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


@pytest.fixture
def stripe_ready(world):
    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = "sk_test_practice", SECRET
    practice.save()
    return practice


def post(client, evt, *, slug="home"):
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("billing:stripe_webhook", args=[slug]), payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=header)


def completed(package, *, intent="pi_pkg_1", amount=45000, currency="usd", practice_id=None, event_id=None, created=None):
    metadata = {"practice_id": str(practice_id or package.practice_id), "client_package_id": str(package.pk)}
    obj = {"id": "cs_test_pkg", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
           "payment_intent": intent, "amount_total": amount, "currency": currency, "metadata": metadata}
    return event("checkout.session.completed", obj, event_id=event_id, created=created)


def succeeded(package, *, intent="pi_pkg_1", amount=45000, event_id=None):
    metadata = {"practice_id": str(package.practice_id), "client_package_id": str(package.pk)}
    obj = {"id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount, "currency": "usd",
           "status": "succeeded", "metadata": metadata,
           "latest_charge": {"id": "ch_1", "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}}}}
    return event("payment_intent.succeeded", obj, event_id=event_id)


def state():
    return (list(Payment.objects.values_list("payment_intent", "client_package_id", "amount")),
            list(LedgerEntry.objects.order_by("id").values_list("kind", "label", "amount")),
            list(ClientPackage.objects.values_list("state", "starts_at", "expires_at")))


def test_a_package_sold_through_checkout_is_paid_once_and_a_replayed_webhook_changes_nothing(client, world, stub, stripe_ready):
    package = give(world, product(world.home, name="Spring bundle", price="450.00", days=90), how=packages.STRIPE)
    assert package.state == PackageState.AWAITING_PAYMENT and not LedgerEntry.objects.exists()
    assert packages.usable_packages(world.home.practice, world.home.client) == []

    url = packages.start_package_checkout(package)
    assert url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = [r for r in stub.requests if r["path"] == "/v1/checkout/sessions"]
    body = request["body"]
    assert body["metadata"] == {"practice_id": str(world.home.practice.pk), "client_package_id": str(package.pk)}
    assert body["payment_intent_data"]["metadata"] == body["metadata"]
    assert body["line_items"]["0"]["price_data"]["unit_amount"] == "45000"
    assert body["line_items"]["0"]["price_data"]["currency"] == "usd"
    assert body["line_items"]["0"]["price_data"]["product_data"]["name"] == "Package: Spring bundle"
    assert body["success_url"].startswith("https://practice.example.com/my/packages/")
    assert request["auth"] == "Bearer sk_test_practice"
    package.refresh_from_db()
    assert package.checkout_session_id.startswith("cs_test_")

    paid_at = NOW + timedelta(days=2)
    with time_machine.travel(paid_at, tick=False):
        evt = completed(package)
        assert post(client, evt).status_code == 200
    package.refresh_from_db()
    assert package.state == PackageState.ACTIVE
    assert (package.starts_at, package.expires_at) == (paid_at, datetime(2030, 4, 10, 0, 0, tzinfo=NY))  # 90 days on
    payment = Payment.objects.get()
    assert (payment.client_package, payment.participant, payment.amount, payment.currency) == (package, None, Decimal("450.00"), "USD")
    lines = list(account_lines(world).values_list("kind", "label", "amount"))
    assert lines == [(EntryKind.CHARGE, "Package: Spring bundle", Decimal("450.00")),
                     (EntryKind.PAYMENT, "Card payment, Jan 9, 2030", Decimal("-450.00"))]
    assert StripeEvent.objects.get().outcome == "package paid and active"
    assert [p.pk for p in packages.usable_packages(world.home.practice, world.home.client, now=paid_at)] == [package.pk]

    after = state()
    assert post(client, evt).status_code == 200  # the same event again
    assert post(client, succeeded(package)).status_code == 200  # its PaymentIntent's own event
    assert post(client, completed(package, event_id="evt_redelivered")).status_code == 200
    assert state() == after
    assert StripeEvent.objects.exclude(outcome__in=["package paid and active", "payment already recorded"]).count() == 0


def test_the_payment_intent_event_alone_activates_the_package_with_the_card_on_the_line(client, world, stub, stripe_ready):
    package = give(world, product(world.home, price="450.00"), how=packages.STRIPE)
    assert post(client, succeeded(package)).status_code == 200
    package.refresh_from_db()
    assert package.state == PackageState.ACTIVE
    assert LedgerEntry.objects.get(kind=EntryKind.PAYMENT).label == "Card payment, Visa ending 4242"


@pytest.mark.parametrize("case", ["another practice", "wrong currency", "not paid yet"])
def test_a_payment_event_that_does_not_fit_is_ignored(client, world, stub, stripe_ready, case):
    package = give(world, product(world.home, price="450.00"), how=packages.STRIPE)
    if case == "another practice":
        theirs = packages.assign(practice=world.outsider.practice, actor=world.outsider.admin, client=world.outsider.client,
                                 product=product(world.outsider), how=packages.FREE)
        ClientPackage.objects.filter(pk=theirs.pk).update(state=PackageState.AWAITING_PAYMENT)
        evt = completed(theirs, practice_id=world.home.practice.pk)
    elif case == "wrong currency":
        evt = completed(package, currency="eur")
    else:
        evt = completed(package)
        evt["data"]["object"]["payment_status"] = "unpaid"
    assert post(client, evt).status_code == 200
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()
    assert not ClientPackage.objects.filter(state=PackageState.ACTIVE).exists()
    assert StripeEvent.objects.get().outcome in {"ignored: package not in this practice", "ignored: wrong currency",
                                                 "checkout not paid yet"}


def test_money_for_a_canceled_package_is_recorded_for_a_refund_and_the_package_stays_canceled(client, world, stub, stripe_ready):
    package = give(world, product(world.home, price="450.00"), how=packages.STRIPE)
    packages.cancel(practice=world.home.practice, actor=world.home.admin, client_package=package)
    assert post(client, completed(package)).status_code == 200
    package.refresh_from_db()
    assert package.state == PackageState.CANCELED
    assert Payment.objects.get().client_package == package
    assert list(LedgerEntry.objects.values_list("kind", "amount")) == [(EntryKind.PAYMENT, Decimal("-450.00"))]
    with pytest.raises(DomainError, match="not waiting for a payment"):
        packages.start_package_checkout(package)


def test_checkout_that_stripe_refuses_is_a_plain_error(world, stripe_ready, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens
    package = give(world, product(world.home, price="450.00"), how=packages.STRIPE)
    with pytest.raises(DomainError, match="could not be opened"):
        packages.start_package_checkout(package)


# --- The team's pages ----------------------------------------------------------------------------

def form_data(world, **changes):
    data = {"name": "Six sessions", "services": [world.home.service.pk], "session_count": "6", "price": "540.00",
            "validity_days": "120", "weekly_limit": "", "is_active": "on"}
    return {**data, **changes}


def test_an_admin_adds_and_edits_a_product(world, login):
    admin = login(world.home.admin)
    assert admin.get(reverse("billing:packages")).status_code == 200
    response = admin.post(reverse("billing:package_new"), form_data(world, weekly_limit="1"))
    assert response.status_code == 302 and response.url == reverse("billing:packages")
    item = PackageProduct.objects.get()
    assert (item.practice, item.session_count, item.price, item.validity_days, item.weekly_limit) == (
        world.home.practice, 6, Decimal("540.00"), 120, 1)
    page = admin.get(reverse("billing:packages")).content.decode()
    assert "Six sessions" in page and "540.00 USD" in page and "120 days" in page
    response = admin.post(reverse("billing:package_edit", args=[item.pk]), form_data(world, name="Six", is_active=""))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.is_active) == ("Six", False)


@pytest.mark.parametrize("changes, field, message", [
    ({"price": "-1"}, "price", "The price cannot be negative."),
    ({"price": "1.005"}, "price", "decimal places"),
    ({"price": "abc"}, "price", "Enter the price as a number"),
    ({"session_count": "0"}, "session_count", "A package has at least one session."),
    ({"session_count": "-3"}, "session_count", "A package has at least one session."),
    ({"validity_days": "0"}, "validity_days", "A package is valid for at least one day."),
    ({"weekly_limit": "0"}, "weekly_limit", "Leave the limit empty for no limit"),
    ({"services": []}, "services", "Choose at least one service."),
    ({"name": "  "}, "name", "Enter a name for the package."),
    ("outsider service", "services", "Choose only services of this practice."),
    ("duplicate", "name", "This practice already has one named"),
])
def test_a_bad_product_is_a_plain_form_error_and_nothing_is_saved(world, login, changes, field, message):
    if changes == "outsider service":
        changes = {"services": [world.home.service.pk, world.outsider.service.pk]}
    elif changes == "duplicate":
        product(world.home, name="Six sessions")
        changes = {"name": "six SESSIONS"}
    before = list(PackageProduct.objects.values_list("pk", "name"))
    response = login(world.home.admin).post(reverse("billing:package_new"), form_data(world, **changes))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()
    assert list(PackageProduct.objects.values_list("pk", "name")) == before


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_only_admins_manage_products(world, login, role):
    item = product(world.home)
    browser = login(world.home.member(role))
    assert browser.get(reverse("billing:packages")).status_code == 403
    assert browser.get(reverse("billing:package_new")).status_code == 403
    assert browser.post(reverse("billing:package_edit", args=[item.pk]), form_data(world, name="Hacked")).status_code == 403
    assert PackageProduct.objects.get().name == "Ten sessions"


def test_the_billing_menu_links_packages_for_admins(world, login):
    assert reverse("billing:packages") in login(world.home.admin).get(reverse("billing:clients")).content.decode()
    assert reverse("billing:packages") not in login(world.home.staff).get(reverse("billing:clients")).content.decode()


def client_page(world):
    return reverse("billing:client_account", args=[access.USER, world.home.client.pk])


def packages_part(world, kind=access.USER, pk=None):
    return reverse("billing:client_packages", args=[kind, pk or world.home.client.pk])


def test_the_client_page_loads_the_packages_and_assigns_one_paid_outside(world, login):
    product(world.home, name="Spring bundle", price="450.00")
    admin = login(world.home.admin)
    page = admin.get(client_page(world)).content.decode()
    assert f'hx-get="{packages_part(world)}"' in page
    part = admin.get(packages_part(world), HTTP_HX_REQUEST="true")
    assert part.status_code == 200 and "No packages yet." in part.content.decode()
    assert "<html" not in part.content.decode() and "Spring bundle" in part.content.decode()
    item = PackageProduct.objects.get()
    response = admin.post(packages_part(world), {"product": item.pk, "how": packages.OUTSIDE})
    assert response.status_code == 302 and response.url == client_page(world)
    package = ClientPackage.objects.get()
    assert (package.client, package.state, package.assigned_by) == (world.home.client, PackageState.ACTIVE, world.home.admin)
    statement = admin.get(client_page(world)).content.decode()
    assert "Package: Spring bundle" in statement and "Paid outside the app" in statement
    listing = admin.get(packages_part(world), HTTP_HX_REQUEST="true").content.decode()
    assert "0 of 10" in listing and "Jul 6, 2030" in listing and "Active" in listing and "Cancel package" in listing
    assert AccessLogEntry.objects.filter(user=world.home.admin, description__startswith="packages, client account").exists()


@pytest.mark.parametrize("data, message", [
    ({}, "Choose a package."),
    ({"product": "999999", "how": "free"}, "Choose one of the packages listed."),
    ({"product": "OUTSIDER", "how": "free"}, "Choose one of the packages listed."),
    ({"product": "OURS", "how": "cash"}, "Choose how the package is paid."),
    ({"product": "OURS", "how": "stripe"}, "Choose how the package is paid."),  # Stripe is not set up here
])
def test_a_bad_assignment_is_a_plain_error_and_nothing_is_written(world, login, data, message):
    ours, theirs = product(world.home), product(world.outsider)
    data = {key: {"OURS": ours.pk, "OUTSIDER": theirs.pk}.get(value, value) for key, value in data.items()}
    response = login(world.home.staff).post(packages_part(world), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ClientPackage.objects.exists() and not LedgerEntry.objects.exists()


def test_a_contact_without_a_portal_account_gets_no_package(world, login):
    product(world.home)
    staff = login(world.home.staff)
    url = packages_part(world, access.CONTACT, world.home.contact.pk)
    assert "invite this contact to the client portal first" in staff.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = staff.post(url, {"product": PackageProduct.objects.get().pk, "how": "free"})
    assert response.status_code == 400 and not ClientPackage.objects.exists()


def test_cancel_package_from_the_client_page(world, login, service):
    package = give(world, product(world.home), how=packages.OUTSIDE)
    staff = login(world.home.staff)
    response = staff.post(reverse("billing:client_package_cancel", args=[package.pk]))
    assert response.status_code == 302 and response.url == client_page(world)
    assert ClientPackage.objects.get().state == PackageState.CANCELED
    assert "Cancel package" not in staff.get(packages_part(world), HTTP_HX_REQUEST="true").content.decode()
    used = give(world, product(world.home, name="Used"))
    book_on(world, service, TEN, used.pk)
    assert "Cancel package" not in staff.get(packages_part(world), HTTP_HX_REQUEST="true").content.decode()
    staff.post(reverse("billing:client_package_cancel", args=[used.pk]))
    assert ClientPackage.objects.get(pk=used.pk).state == PackageState.ACTIVE


def test_a_practitioner_sees_the_packages_of_their_own_clients_only(world, login, service):
    practitioner = login(world.home.practitioner)
    package = give(world, product(world.home))
    assert practitioner.get(packages_part(world)).status_code == 404  # no line from their sessions yet
    assert practitioner.post(reverse("billing:client_package_cancel", args=[package.pk])).status_code == 404
    SessionFactory(cast=world.home, past=True, clients=[{"client": world.home.client}])
    LedgerEntry.objects.create(practice=world.home.practice, kind=EntryKind.CHARGE, amount=Decimal("10"), currency="USD",
                               label="Session", client=world.home.client, practitioner=world.home.practitioner)
    assert practitioner.get(packages_part(world)).status_code == 200


def test_another_practice_answers_404_on_every_team_page(world, login):
    ours = product(world.home)
    package = give(world, ours)
    outsider = login(world.outsider.admin)
    assert outsider.get(reverse("billing:package_edit", args=[ours.pk])).status_code == 404
    assert outsider.post(reverse("billing:package_edit", args=[ours.pk]), form_data(world)).status_code == 404
    assert outsider.get(packages_part(world)).status_code == 404
    assert outsider.post(packages_part(world), {"product": ours.pk, "how": "free"}).status_code == 404
    assert outsider.post(reverse("billing:client_package_cancel", args=[package.pk])).status_code == 404
    assert ClientPackage.objects.get().state == PackageState.ACTIVE and ClientPackage.objects.count() == 1
    client = login(world.home.client)
    assert client.get(packages_part(world)).status_code == 403
    assert client.post(reverse("billing:client_package_cancel", args=[package.pk])).status_code == 403


# --- Django admin ----------------------------------------------------------------------------------

def test_the_admin_offers_the_practices_services_only_and_refuses_anothers(world, login):
    admin = login(world.home.admin)
    add = reverse("admin:billing_packageproduct_add")
    page = admin.get(add).content.decode()
    assert world.home.service.name in page and world.outsider.service.name not in page
    data = {"name": "Admin bundle", "services": [world.outsider.service.pk], "session_count": "0", "price": "-5",
            "validity_days": "30", "weekly_limit": "", "is_active": "on"}
    response = admin.post(add, data)
    assert response.status_code == 200 and not PackageProduct.objects.exists()
    errors = response.context["adminform"].form.errors
    assert "A package has at least one session." in errors["session_count"]
    assert "The price cannot be negative." in errors["price"]
    assert errors["services"]
    response = admin.post(add, {**data, "services": [world.home.service.pk], "session_count": "3", "price": "99"})
    assert response.status_code == 302
    assert PackageProduct.objects.get().practice == world.home.practice


def test_client_packages_are_read_in_the_admin_and_only_the_expiry_moves(world, login, service):
    package = give(world, product(world.home))
    book_on(world, service, TEN, package.pk)
    admin = login(world.home.admin)
    assert admin.get(reverse("admin:billing_clientpackage_changelist")).status_code == 200
    assert admin.get(reverse("admin:billing_packageredemption_changelist")).status_code == 200
    change = reverse("admin:billing_clientpackage_change", args=[package.pk])
    assert admin.get(change).status_code == 200
    response = admin.post(change, {"expires_at_0": "2029-12-01", "expires_at_1": "10:00:00"})
    assert response.status_code == 200 and "A package must expire after it starts." in response.content.decode()
    assert admin.post(change, {"expires_at_0": "2031-01-01", "expires_at_1": "10:00:00"}).status_code == 302
    package.refresh_from_db()
    assert package.expires_at.astimezone(NY).date().isoformat() == "2031-01-01" and package.session_count == 10
    outsider = login(world.outsider.admin)
    assert outsider.get(change).status_code in (302, 404)


def test_a_refund_of_a_package_payment_is_a_refund_line_on_the_clients_account(client, world, stub, stripe_ready):
    package = give(world, product(world.home, name="Autumn bundle", price="450.00"), how=packages.STRIPE)
    assert post(client, completed(package)).status_code == 200
    refunded = {"id": "ch_1", "object": "charge", "payment_intent": "pi_pkg_1", "amount_refunded": 15000,
                "refunds": {"data": [{"id": "re_pkg_1", "amount": 15000, "status": "succeeded", "payment_intent": "pi_pkg_1"}]}}
    assert post(client, event("charge.refunded", refunded)).status_code == 200
    assert post(client, event("charge.refunded", refunded, event_id="evt_again")).status_code == 200  # once only
    payment = Payment.objects.get()
    assert payment.refunded_amount == Decimal("150.00")
    assert list(account_lines(world).filter(kind=EntryKind.REFUND).values_list("amount", flat=True)) == [Decimal("150.00")]
