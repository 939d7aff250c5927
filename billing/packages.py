"""Packages: products the practice sells, the copies clients hold, and the credits booked on them.

What a client package has left is its session count minus its live redemptions, counted when
asked, never stored. A booking locks the package row (``SELECT ... FOR UPDATE``) before counting,
so two bookings racing for the last credit run one after the other and the second finds none.
"""
import logging
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from billing import access, ledger
from billing.checkout import open_checkout
from billing.models import ClientPackage, EntryKind, PackageProduct, PackageRedemption, PackageState, Payment
from practice.access import require
from practice.errors import DomainError
from practice.models import TEAM_ROLES, Membership, Role

log = logging.getLogger(__name__)


def with_remaining(packages):
    """Annotate ``used`` (live redemptions); ``remaining`` is then session_count - used."""
    return packages.annotate(used=Count("redemptions", filter=Q(redemptions__voided_at__isnull=True)))


def remaining(client_package) -> int:
    used = getattr(client_package, "used", None)
    if used is None:
        used = client_package.redemptions.filter(voided_at__isnull=True).count()
    return client_package.session_count - used


def usable_packages(practice, client, *, service=None, now=None):
    """The client's packages that can be booked from now: active, started, not expired, with a
    credit left (and covering ``service`` when given), soonest to expire first; each has ``used``."""
    now = now or timezone.now()
    packages = ClientPackage.objects.filter(practice=practice, client=client, state=PackageState.ACTIVE,
                                            starts_at__lte=now, expires_at__gt=now)
    if service is not None:
        packages = packages.filter(services=service)
    packages = with_remaining(packages).prefetch_related("services").order_by("expires_at", "pk")
    return [p for p in packages if p.session_count - p.used > 0]


def _week_of(moment: datetime, zone) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 around ``moment`` in ``zone`` (aware datetimes)."""
    local = moment.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)


def redeem(*, practice, client, client_package_id, session, participant, service, now=None) -> PackageRedemption:
    """Use one credit of the client's package for ``session``, in the caller's transaction.

    Refuses (DomainError, nothing written) a package that is not the client's, not active,
    expired (now, or before the session starts), used up, not covering ``service``, or past its
    weekly limit in the week of the session (Monday to Sunday in the practice's zone).
    """
    now = now or timezone.now()
    package = (ClientPackage.objects.select_for_update()
               .filter(pk=client_package_id, practice=practice, client=client).first())
    if package is None or package.state != PackageState.ACTIVE:
        raise DomainError("That package cannot be booked from.", code="no_package")
    if not package.starts_at <= now < package.expires_at or session.start >= package.expires_at:
        zone = zoneinfo.ZoneInfo(practice.time_zone)
        raise DomainError(f"That package ran out after {last_day(package, zone):%b %-d, %Y}"
                          if package.expires_at <= now else
                          "That package expires before the session: choose an earlier time.", code="package_expired")
    if not package.services.filter(pk=service.pk).exists():
        raise DomainError("That package does not cover this service.", code="package_service")
    live = package.redemptions.filter(voided_at__isnull=True)
    if live.count() >= package.session_count:
        raise DomainError("That package has no sessions left.", code="package_used")
    if package.weekly_limit:
        week_start, week_end = _week_of(session.start, zoneinfo.ZoneInfo(practice.time_zone))
        if live.filter(session__start__gte=week_start, session__start__lt=week_end).count() >= package.weekly_limit:
            raise DomainError(f"That package allows {package.weekly_limit} session(s) a week, and that week is full.",
                              code="package_weekly_limit")
    return PackageRedemption.objects.create(client_package=package, session=session, participant=participant)


def return_credit(*, session, reason: str, now=None) -> int:
    """Void the session's live redemption (the credit comes back); how many were voided."""
    return PackageRedemption.objects.filter(session=session, voided_at__isnull=True).update(
        voided_at=now or timezone.now(), void_reason=reason[:120])


def redemption_of(session) -> PackageRedemption | None:
    return (PackageRedemption.objects.select_related("client_package")
            .filter(session=session, voided_at__isnull=True).first())



# --- Products, and the packages of one client ---------------------------------------------------

# How a package is assigned or sold (the choice on the client's page).
OUTSIDE, FREE, STRIPE = "outside", "free", "stripe"
HOW_CHOICES = [(OUTSIDE, "Paid outside the app"), (FREE, "Free"), (STRIPE, "Pay through Stripe Checkout")]
PAID_OUTSIDE = "Paid outside the app"
CHECKOUT_FAILED = "The payment page could not be opened just now. Please try again in a few minutes."


def products_of(membership):
    """The practice's package products, each with ``assigned`` (how many client packages copy it)."""
    return (PackageProduct.objects.filter(practice=membership.practice).prefetch_related("services")
            .annotate(assigned=Count("client_packages")).order_by("name", "pk"))


def product_for(membership, pk) -> PackageProduct:
    """A product of the member's practice (another practice's id answers 404), for admins (else 403)."""
    product = get_object_or_404(PackageProduct.objects.filter(practice=membership.practice), pk=pk)
    require(membership, [Role.ADMIN])
    return product


def offered_products(practice):
    """What may be assigned now: the practice's active products."""
    return PackageProduct.objects.filter(practice=practice, is_active=True).order_by("name", "pk")


def expiry(practice, start, days: int) -> datetime:
    """When a package valid for ``days`` from ``start`` ends: the midnight after the day ``days``
    after the start day, in the practice's zone (valid for 30 days from Jan 7 is valid through Feb 6)."""
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    last = start.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)


def last_day(package, zone) -> date:
    """The last day (in ``zone``, the practice's) a package can be booked on."""
    return (package.expires_at - timedelta(microseconds=1)).astimezone(zone).date()


def validity_days(package, zone) -> int:
    """How many days a package is valid for, after its start day (what ``expiry`` was given)."""
    return (last_day(package, zone) - package.starts_at.astimezone(zone).date()).days


def _describe(package, now, zone):
    """Plain attributes for the pages: ``left``, ``status`` (a label), ``usable``, ``awaiting``,
    ``cancelable`` (nothing booked on it), ``last_day`` (valid through, in the practice's zone) and
    ``valid_days`` (what it is valid for, from its payment while it awaits one)."""
    package.left = remaining(package)
    package.awaiting = package.state == PackageState.AWAITING_PAYMENT
    package.usable = (package.state == PackageState.ACTIVE and package.starts_at <= now < package.expires_at
                      and package.left > 0)
    # What the page offers to cancel: unused, and not expired (cancel() itself refuses only a used one).
    package.cancelable = package.state != PackageState.CANCELED and package.used == 0 and now < package.expires_at
    package.last_day = last_day(package, zone)
    package.valid_days = validity_days(package, zone)
    package.free = package.price == 0
    if package.state == PackageState.ACTIVE:
        if package.expires_at <= now:
            package.status = "Expired"
        elif package.left <= 0:
            package.status = "Used up"
        else:
            package.status = "Active"
    else:
        package.status = package.get_state_display()
    return package


def client_packages(practice, client, *, now=None) -> list:
    """Every package of the client in ``practice``, newest first, described for the pages (see ``_describe``)."""
    now, zone = now or timezone.now(), zoneinfo.ZoneInfo(practice.time_zone)
    packages = with_remaining(ClientPackage.objects.filter(practice=practice, client=client))
    return [_describe(p, now, zone) for p in packages.prefetch_related("services").order_by("-created_at", "-pk")]


def own_package(membership, pk) -> ClientPackage:
    """A client's own package in the membership's practice; anyone else's id answers 404."""
    packages = ClientPackage.objects.select_related("practice", "client")
    return get_object_or_404(packages.filter(practice=membership.practice, client_id=membership.user_id), pk=pk)


def client_package_for_team(membership, pk) -> ClientPackage:
    """A package of the member's practice whose client the member may see (billing.access); else 404."""
    package = get_object_or_404(ClientPackage.objects.select_related("client"), practice=membership.practice, pk=pk)
    access.client_account_for(membership, access.USER, package.client_id)
    require(membership, TEAM_ROLES)
    return package


def _client_fields(client) -> dict:
    return {"client_id": client.pk, "client_name": (client.get_full_name() or client.email)[:120]}


def _practice_day(practice, moment):
    return moment.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def _charge(package, *, moment, actor=None):
    """The package's price on the client's account ("Package: <name>"); nothing for a free one."""
    if package.price <= 0:
        return None
    practice = package.practice
    return ledger.write(practice_id=practice.pk, kind=EntryKind.CHARGE, amount=package.price, currency=practice.currency,
                        label=f"Package: {package.name}"[:120], service_date=_practice_day(practice, moment),
                        created_by=actor, **_client_fields(package.client))


@transaction.atomic
def assign(*, practice, actor, client, product, how, now=None) -> ClientPackage:
    """Give ``client`` a copy of ``product``'s terms, valid for its days from now.

    ``how``: OUTSIDE (active at once; the ledger gets the charge "Package: <name>" and the payment
    "Paid outside the app"), FREE (active, price 0, no ledger lines) or STRIPE (awaiting payment:
    the client pays from the portal; ``payment_event`` activates it). Refuses (DomainError, nothing
    written) another practice's or an inactive product, someone who is not a client of the practice,
    and Checkout for a free package or without Stripe set up.
    """
    now = now or timezone.now()
    if how not in dict(HOW_CHOICES):
        raise DomainError("Choose how the package is paid.", code="package_how")
    if product.practice_id != practice.pk or not product.is_active:
        raise DomainError("That package is not offered any more. Choose one of those listed.", code="package_product")
    if not Membership.objects.filter(practice=practice, user=client, role=Role.CLIENT).exists():
        raise DomainError("Packages are for clients with a client portal account in this practice.", code="package_client")
    if how == STRIPE:
        if product.price <= 0:
            raise DomainError("This package is free: choose “Free”.", code="package_free")
        if not practice.stripe_ready:
            raise DomainError("Stripe is not set up for this practice: choose another way to pay.", code="not_configured")
    package = ClientPackage.objects.create(
        practice=practice, product=product, client=client, name=product.name, session_count=product.session_count,
        price=product.price if how != FREE else 0, weekly_limit=product.weekly_limit,
        state=PackageState.AWAITING_PAYMENT if how == STRIPE else PackageState.ACTIVE, paid_outside=how == OUTSIDE,
        # Until it is paid, the dates of a package sold through Checkout only keep its length in
        # days (validity_days): payment_event moves them to start when it is paid.
        starts_at=now, expires_at=expiry(practice, now, product.validity_days), assigned_by=actor,
    )
    package.services.set(product.services.all())
    if how == OUTSIDE and package.price > 0:
        _charge(package, moment=now, actor=actor)
        ledger.write(practice_id=practice.pk, kind=EntryKind.PAYMENT, amount=-package.price, currency=practice.currency,
                     label=PAID_OUTSIDE, service_date=_practice_day(practice, now), created_by=actor,
                     **_client_fields(client))
    return package


@transaction.atomic
def cancel(*, practice, actor, client_package) -> ClientPackage:
    """Cancel a package nothing is booked on (awaiting payment or active). Only its state changes:
    money already on the ledger stays (a refund is a separate step). Under the package's row lock,
    so a booking taking a credit meanwhile either comes first (and the cancel is refused) or finds
    the package canceled."""
    package = ClientPackage.objects.select_for_update().filter(pk=client_package.pk, practice=practice).first()
    if package is None or package.state == PackageState.CANCELED:
        raise DomainError("This package is already canceled.", code="package_canceled")
    if package.redemptions.filter(voided_at__isnull=True).exists():
        raise DomainError("Sessions are booked on this package, so it cannot be canceled.", code="package_used")
    package.state = PackageState.CANCELED
    package.save(update_fields=["state"])
    return package


# --- Selling through Stripe Checkout ------------------------------------------------------------

def start_package_checkout(client_package) -> str:
    """A Checkout Session for the package's price (metadata ``client_package_id`` and ``practice_id``):
    the open one it has, else a new one (billing.checkout); the URL of Stripe's page. DomainError when
    nothing is due, the payment is being confirmed, or Stripe cannot be reached."""
    from billing import payments  # payments dispatches package events here: imported when used

    package = client_package
    if package.state != PackageState.AWAITING_PAYMENT or package.price <= 0:
        raise DomainError("This package is not waiting for a payment.", code="nothing_due")
    practice = package.practice
    metadata = {"practice_id": str(practice.pk), "client_package_id": str(package.pk)}
    back = settings.SITE_URL + reverse("portal:packages")
    params = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": practice.currency.lower(), "unit_amount": payments.to_minor(package.price, practice.currency),
            "product_data": {"name": f"Package: {package.name}"[:250]}}}],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "client_reference_id": f"package-{package.pk}",
        "customer_email": package.client.email or None,
        "success_url": f"{back}?paid={package.pk}",
        "cancel_url": back,
    }
    try:
        checkout = open_checkout(payments.client_for(practice), params, purpose=f"package-{package.pk}",
                                 current_id=package.checkout_session_id)
    except stripe.StripeError as error:
        log.warning("Checkout for client package %s could not be started: %s", package.pk, error)
        raise DomainError(CHECKOUT_FAILED, code="stripe_unavailable") from error
    ClientPackage.objects.filter(pk=package.pk).update(checkout_session_id=checkout.id)
    return checkout.url


def _event_moment(event):
    created = event.payload.get("created") if isinstance(event.payload, dict) else None
    return datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else timezone.now()


def payment_event(event, obj) -> str:
    """A Stripe payment event for a package sold through Checkout (``client_package_id`` in its
    metadata), inside ``payments.process_event``'s transaction.

    Records one Payment per payment intent (the Checkout's ``checkout.session.completed`` and its
    ``payment_intent.succeeded`` are the same payment), the ledger's charge "Package: <name>" and the
    card payment, and activates the package from the moment it was paid for its length. A package
    in another practice, or an amount in another currency, is ignored (logged) like any payment
    event; money for a package no longer awaiting payment (canceled, or paid twice) is recorded as a
    payment only, for the team to refund.
    """
    from billing import payments

    metadata = obj.get("metadata") or {}
    if event.type == "checkout.session.completed":
        if obj.get("payment_status") != "paid":
            return "checkout not paid yet"
        intent, minor = obj.get("payment_intent"), obj.get("amount_total")
    else:
        intent, minor = obj.get("id"), obj.get("amount_received") or obj.get("amount")
    try:
        pk = int(metadata.get("client_package_id", ""))
    except (TypeError, ValueError):
        pk = None
    package = None
    if pk is not None and str(metadata.get("practice_id")) == str(event.practice_id):
        package = (ClientPackage.objects.select_for_update(of=("self",)).select_related("practice", "client")
                   .filter(pk=pk, practice_id=event.practice_id).first())
    if package is None:
        log.warning("Stripe event %s names a client package outside practice %s: ignored", event.event_id, event.practice_id)
        return "ignored: package not in this practice"
    practice = package.practice
    currency = practice.currency
    if (obj.get("currency") or currency).upper() != currency:
        log.warning("Stripe event %s is in %s, the practice bills in %s: ignored", event.event_id, obj.get("currency"), currency)
        return "ignored: wrong currency"
    if not intent or minor is None:
        return "ignored: no payment in the event"
    amount = payments.from_minor(minor, currency)
    payment, created = Payment.objects.get_or_create(
        payment_intent=intent,
        defaults={"practice_id": practice.pk, "client_package": package, "amount": amount, "currency": currency})
    if not created:
        return "payment already recorded"
    paid_at = _event_moment(event)
    if package.state == PackageState.AWAITING_PAYMENT:
        days = validity_days(package, zoneinfo.ZoneInfo(practice.time_zone))
        package.state, package.starts_at, package.expires_at = PackageState.ACTIVE, paid_at, expiry(practice, paid_at, days)
        package.save(update_fields=["state", "starts_at", "expires_at"])
        _charge(package, moment=paid_at)
        outcome = "package paid and active"
    else:
        log.warning("Stripe event %s pays client package %s, which is %s: recorded for a refund",
                    event.event_id, package.pk, package.state)
        outcome = f"payment recorded; the package was {package.get_state_display().lower()} already"
    ledger.write(practice_id=practice.pk, kind=EntryKind.PAYMENT, amount=-amount, currency=currency,
                 label=payments.payment_label(event, obj, practice)[:120], service_date=_practice_day(practice, paid_at),
                 **_client_fields(package.client))
    return outcome


def refund_line(payment, *, amount, label):
    """The ledger line of a refund of a package's payment (Stripe's refund event records it)."""
    package = payment.client_package
    return ledger.write(practice_id=payment.practice_id, kind=EntryKind.REFUND, amount=amount, currency=payment.currency,
                        label=label, service_date=_practice_day(payment.practice, timezone.now()),
                        **_client_fields(package.client))
