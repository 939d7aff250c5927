from celery import shared_task

from billing import payments


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def process_stripe_event(event_pk: int) -> str:
    """Apply a stored Stripe event (idempotent: a processed event is left alone)."""
    return payments.process_event(event_pk)
