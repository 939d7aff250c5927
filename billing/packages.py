"""Packages: products the practice sells, the copies clients hold, and the credits booked on them.

What a client package has left is its session count minus its live redemptions, counted when
asked, never stored. A booking locks the package row (``SELECT ... FOR UPDATE``) before counting,
so two bookings racing for the last credit run one after the other and the second finds none.
"""
import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from billing.models import ClientPackage, PackageRedemption, PackageState
from practice.errors import DomainError


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
        raise DomainError(f"That package expired on {timezone.localtime(package.expires_at):%b %-d, %Y}"
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


def payment_event(event, obj) -> str:
    """A Stripe payment event for a package sold through Checkout (``client_package_id`` in its
    metadata): filled in by the packages work."""
    raise NotImplementedError("selling packages through Checkout is being built")
