from celery import shared_task

from billing import booking_payments, payments


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def process_stripe_event(event_pk: int) -> str:
    """Apply a stored Stripe event (idempotent: a processed event is left alone)."""
    return payments.process_event(event_pk)


@shared_task
def redrive_stripe_events() -> dict:
    """Beat, every minute: process stored events still unprocessed after a minute (their task was
    never queued because the broker was down, or was lost with a worker)."""
    return payments.redrive()


@shared_task
def expire_booking_holds() -> dict:
    """Beat, every minute: payment-at-booking holds whose time is up free their slot (their Checkout
    Session expired through the API), requests whose card authorisation is about to lapse are
    declined, and releases Stripe refused earlier are tried again."""
    return booking_payments.run_beat()
