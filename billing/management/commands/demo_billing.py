"""The Demo Practice's billing extras: a package product, and a package for the demo client.

Run by ``demo_data`` (by name, so sessions_app imports nothing of billing); idempotent.
"""
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from billing import packages
from billing.models import ClientPackage, PackageProduct
from practice.models import Practice, Service, User


class Command(BaseCommand):
    help = "Add the Demo Practice's package product and the demo client's package."

    @transaction.atomic
    def handle(self, *args, **options):
        practice = Practice.objects.filter(slug="demo").first()
        if practice is None:
            self.stdout.write("No Demo Practice: run demo_data first.")
            return
        product, created = PackageProduct.objects.get_or_create(
            practice=practice, name="Five psychotherapy sessions",
            defaults={"session_count": 5, "price": Decimal("800.00"), "validity_days": 180, "weekly_limit": 1},
        )
        if created:
            product.services.set(Service.objects.filter(practice=practice, cpt_code="90837"))
        client = User.objects.filter(email="client@demo.test").first()
        admin = User.objects.filter(email="admin@demo.test").first()
        if client and not ClientPackage.objects.filter(practice=practice, client=client).exists():
            packages.assign(practice=practice, actor=admin, client=client, product=product, how=packages.OUTSIDE)
            self.stdout.write("client@demo.test holds “Five psychotherapy sessions” (paid outside the app).")
