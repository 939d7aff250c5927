"""After an outage: list Stripe's events, store any that never reached the webhook, and process every
stored event that is still unprocessed (received while the broker was down, or whose task was lost)."""
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing import payments
from practice.models import Practice


class Command(BaseCommand):
    help = ("Fetch Stripe events of the last days (List Events), store those that were not delivered, "
            "and process every stored event still unprocessed.")

    def add_arguments(self, parser):
        parser.add_argument("--practice", help="Practice slug (default: every practice with Stripe set up)")
        parser.add_argument("--days", type=int, default=3, help="How far back to look (Stripe keeps 30 days)")

    def handle(self, *args, **options):
        if not 1 <= options["days"] <= 30:
            raise CommandError("--days must be between 1 and 30.")
        practices = Practice.objects.all()
        if options["practice"]:
            practices = practices.filter(slug=options["practice"])
            if not practices.exists():
                raise CommandError(f"No practice with slug {options['practice']!r}.")
        since = timezone.now() - timedelta(days=options["days"])
        for practice in practices:
            if not practice.stripe_ready:
                continue
            seen, new = payments.reconcile(practice, since=since)
            self.stdout.write(f"{practice.slug}: {seen} events listed, {new} missing ones stored; unprocessed events processed.")
