from celery import shared_task

from notifications import delivery

# Drains started each minute by beat; SKIP LOCKED lets them share the work.
PARALLEL_DRAINS = 4


@shared_task(acks_late=True)
def deliver(notification_id: int) -> str | None:
    """Deliver one message now (queued on commit by the change that wrote it)."""
    return delivery.deliver_one(notification_id)


@shared_task(acks_late=True)
def drain_due() -> int:
    return delivery.drain()


@shared_task
def dispatch_due() -> int:
    """Beat, every minute: start drains for everything due (reminders, retries)."""
    for _ in range(PARALLEL_DRAINS):
        drain_due.delay()
    return PARALLEL_DRAINS
