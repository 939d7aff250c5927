"""Opening Stripe Checkout for a payment a client makes: one open payment page per payment.

"Pay now" clicked twice, in two tabs, or retried after a slow answer must not leave two open
Checkout Sessions for one payment (the client could pay both). So:

- a Checkout Session the caller already holds (``current_id``) is reused while it is open for the
  same amount; one open for another amount is expired first; one already paid is not opened again
  (the payment is being confirmed: its event is on its way);
- a new one is created with an idempotency key made of the request itself, the session it replaces
  and the hour: Stripe answers the same request under the same key with the same Checkout Session,
  so two clicks at once open one page.
"""
import hashlib
import json
import logging
import time

import stripe

from practice.errors import DomainError

log = logging.getLogger(__name__)
PAID_ALREADY = "Your payment went through and is being confirmed. It will show here in a moment."


def amount_of(params) -> int:
    """The total, in minor units, of a Checkout Session's ``line_items``."""
    return sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in params["line_items"])


def idempotency_key(purpose: str, params: dict, replaces: str = "") -> str:
    """The same for the same request (parameters, the session it replaces) within the same hour."""
    digest = hashlib.sha256(json.dumps([params, replaces], sort_keys=True, default=str).encode()).hexdigest()[:40]
    return f"{purpose}-{int(time.time() // 3600)}-{digest}"


def open_checkout(client: stripe.StripeClient, params: dict, *, purpose: str, current_id: str = ""):
    """The Checkout Session to send the client to (see the module's docstring). DomainError
    ``payment_in_progress`` when the payment was made already; stripe.StripeError when Stripe cannot
    be reached (the caller words it)."""
    if current_id:
        try:
            current = client.v1.checkout.sessions.retrieve(current_id)
        except stripe.InvalidRequestError:  # not in this account (any more): a new one
            current = None
        if current is not None and current.status == "complete":
            raise DomainError(PAID_ALREADY, code="payment_in_progress")
        if current is not None and current.status == "open":
            if current.amount_total == amount_of(params) and current.url:
                return current
            try:  # for another amount: it must not be paid any more
                client.v1.checkout.sessions.expire(current_id)
            except stripe.InvalidRequestError as error:  # completed meanwhile
                log.info("Checkout Session %s could not be expired: %s", current_id, error)
                raise DomainError(PAID_ALREADY, code="payment_in_progress") from error
    checkout = client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": idempotency_key(purpose, params, current_id)})
    if checkout.status == "complete" or not checkout.url:  # the same request, answered again: already paid
        raise DomainError(PAID_ALREADY, code="payment_in_progress")
    return checkout
