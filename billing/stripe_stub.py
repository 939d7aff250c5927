"""A loopback stand-in for the Stripe API calls this app makes (Checkout Sessions: create,
retrieve, expire; PaymentIntents: retrieve, capture, cancel; Refunds; List Events), for tests
and benchmarks: the real stripe-python SDK runs unchanged with STRIPE_API_BASE pointed here.
localstripe has no Checkout Sessions.

It keeps what it created (``checkouts``, ``intents``) with the parameters it was sent, answers
a repeated Idempotency-Key with its first successful answer (the SDK's retries send one), and refuses what Stripe refuses
(expiring a Checkout Session that is not open, capturing or canceling an intent in the wrong
state) with Stripe's error shape. ``complete_checkout`` plays the client paying on Stripe's page.
"""
import re
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

from notifications.stubs import JsonHandler, LoopbackServer

CANCELABLE = {"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action"}


def _nest(form: dict) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    out = {}
    for key, value in form.items():
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _invalid(message, code=None):
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    return 400, {"error": error}


def _missing(kind, pk):
    return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": f"No such {kind}: '{pk}'"}}


class StripeStub(LoopbackServer):
    def __init__(self):
        self.requests = []
        self.events = []  # what GET /v1/events lists (newest first, as Stripe does)
        self.checkouts = {}  # id -> the Checkout Session as Stripe would show it, with "params" (what was sent)
        self.intents = {}  # id -> the PaymentIntent
        self.fail_paths = {}  # path regex -> (status, error) answered instead, e.g. to play Stripe refusing a capture
        self._answers = {}  # Idempotency-Key -> the first answer
        self._lock = threading.Lock()
        stub = self

        class Handler(JsonHandler):
            extra_headers = {"Request-Id": "req_stub"}

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                body = _nest(form)
                path = urlparse(self.path).path
                key = self.headers.get("Idempotency-Key")
                stub.requests.append({"method": "POST", "path": path, "body": body, "idempotency_key": key,
                                      "account": self.headers.get("Stripe-Account"), "auth": self.headers.get("Authorization")})
                with stub._lock:
                    if key and key in stub._answers:
                        self._answer(*stub._answers[key])
                        return
                    answer = stub._post(path, body)
                    if key and answer[0] == 200:
                        stub._answers[key] = answer
                self._answer(*answer)

            def do_GET(self):
                url = urlparse(self.path)
                stub.requests.append({"method": "GET", "path": url.path, "query": parse_qs(url.query)})
                with stub._lock:
                    self._answer(*stub._get(url.path))

        super().__init__(Handler)

    # --- what the API answers ------------------------------------------------------------------

    def _failure(self, path):
        for pattern, answer in self.fail_paths.items():
            if re.fullmatch(pattern, path):
                return answer
        return None

    def _post(self, path, body):
        failure = self._failure(path)
        if failure:
            return failure
        if path == "/v1/checkout/sessions":
            return 200, self._create_checkout(body)
        if path == "/v1/refunds":
            return 200, self._refund(body)
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)/expire", path)
        if match:
            return self._expire(match.group(1))
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)/(capture|cancel)", path)
        if match:
            return self._capture(match.group(1), body) if match.group(2) == "capture" else self._cancel(match.group(1), body)
        return 404, {"error": {"type": "invalid_request_error", "message": f"No such path {path}"}}

    def _get(self, path):
        if path == "/v1/events":
            return 200, {"object": "list", "url": "/v1/events", "has_more": False, "data": self.events}
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", path)
        if match:
            checkout = self.checkouts.get(match.group(1))
            return (200, self._public(checkout)) if checkout else _missing("checkout.session", match.group(1))
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)", path)
        if match:
            intent = self.intents.get(match.group(1))
            return (200, intent) if intent else _missing("payment_intent", match.group(1))
        return 404, {"error": {"type": "invalid_request_error", "message": "No such path"}}

    @staticmethod
    def _public(checkout):
        return {k: v for k, v in checkout.items() if k != "params"}

    def _create_checkout(self, body):
        sid = "cs_test_" + uuid.uuid4().hex
        items = body.get("line_items", {})
        total = sum(int(item.get("price_data", {}).get("unit_amount", 0)) * int(item.get("quantity", 1)) for item in items.values())
        currency = next((item.get("price_data", {}).get("currency") for item in items.values()), "usd")
        expires_at = int(body["expires_at"]) if body.get("expires_at") else int(time.time()) + 24 * 3600
        checkout = {"id": sid, "object": "checkout.session", "url": f"https://checkout.stripe.com/c/pay/{sid}",
                    "mode": body.get("mode", "payment"), "status": "open", "payment_status": "unpaid", "payment_intent": None,
                    "amount_total": total, "currency": currency, "expires_at": expires_at, "created": int(time.time()),
                    "client_reference_id": body.get("client_reference_id"), "metadata": body.get("metadata", {}),
                    "success_url": body.get("success_url"), "cancel_url": body.get("cancel_url"), "params": body}
        self.checkouts[sid] = checkout
        return self._public(checkout)

    def _refund(self, body):
        intent = self.intents.get(body.get("payment_intent"))
        amount = int(body["amount"]) if body.get("amount") else (intent or {}).get("amount_received", 0)
        return {"id": "re_" + uuid.uuid4().hex, "object": "refund", "status": "pending", "amount": amount,
                "payment_intent": body.get("payment_intent"), "metadata": body.get("metadata", {})}

    def _expire(self, sid):
        checkout = self.checkouts.get(sid)
        if checkout is None:
            return _missing("checkout.session", sid)
        if checkout["status"] != "open":
            return _invalid(f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has '
                            f'a status of "{checkout["status"]}".')
        checkout["status"] = "expired"
        checkout["url"] = None
        return 200, self._public(checkout)

    def _capture(self, pk, body):
        intent = self.intents.get(pk)
        if intent is None:
            return _missing("payment_intent", pk)
        if intent["status"] != "requires_capture":
            return _invalid(f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                            "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                            code="payment_intent_unexpected_state")
        intent.update(status="succeeded", amount_received=intent["amount"], amount_capturable=0)
        return 200, self._expanded(intent, body)

    def _cancel(self, pk, body):
        intent = self.intents.get(pk)
        if intent is None:
            return _missing("payment_intent", pk)
        if intent["status"] not in CANCELABLE:
            return _invalid(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
                            "PaymentIntent with one of the following statuses may be canceled: " + ", ".join(sorted(CANCELABLE)) + ".",
                            code="payment_intent_unexpected_state")
        intent.update(status="canceled", amount_capturable=0, cancellation_reason=body.get("cancellation_reason"))
        return 200, self._expanded(intent, body)

    @staticmethod
    def _expanded(intent, body):
        expand = set((body.get("expand") or {}).values())
        answer = dict(intent)
        if "latest_charge" not in expand:
            answer["latest_charge"] = intent["latest_charge"]["id"]
        return answer

    # --- what tests do on Stripe's side ----------------------------------------------------------

    def complete_checkout(self, sid, *, late=False, brand="visa", last4="4242") -> dict:
        """The client pays on Stripe's page: the Checkout Session completes with a PaymentIntent that is
        authorised only (``capture_method=manual``) or paid. Returns the ``checkout.session.completed``
        object. Stripe completes an open session only; ``late`` plays the payment that went through
        while the session was being expired (its event arrives after the expiry)."""
        with self._lock:
            checkout = self.checkouts[sid]
            if checkout["status"] != "open" and not late:
                raise ValueError(f"Checkout Session {sid} is {checkout['status']}: it cannot be paid")
            params = checkout["params"]
            intent_data = params.get("payment_intent_data", {})
            manual = intent_data.get("capture_method") == "manual"
            pk = "pi_" + uuid.uuid4().hex
            amount = checkout["amount_total"]
            charge = {"id": "ch_" + uuid.uuid4().hex, "object": "charge", "amount": amount, "captured": not manual,
                      "payment_method_details": {"type": "card", "card": {"brand": brand, "last4": last4}}}
            self.intents[pk] = {
                "id": pk, "object": "payment_intent", "amount": amount, "currency": checkout["currency"],
                "amount_received": 0 if manual else amount, "amount_capturable": amount if manual else 0,
                "capture_method": "manual" if manual else "automatic_async",
                "status": "requires_capture" if manual else "succeeded", "metadata": intent_data.get("metadata", {}),
                "latest_charge": charge, "created": int(time.time()),
            }
            checkout.update(status="complete", payment_status="unpaid" if manual else "paid", payment_intent=pk, url=None)
            return self._public(checkout)

    def intent(self, pk) -> dict:
        """A PaymentIntent as a ``payment_intent.*`` event carries it (its charge expanded)."""
        return dict(self.intents[pk])

    def calls(self, pattern: str, method="POST") -> list[dict]:
        """The requests whose path matches ``pattern`` (a regex)."""
        return [r for r in self.requests if r["method"] == method and re.fullmatch(pattern, r["path"])]


def event(kind: str, obj: dict, *, event_id=None, created=None) -> dict:
    """A Stripe event envelope around ``obj``, as the API sends it."""
    return {"id": event_id or "evt_" + uuid.uuid4().hex, "object": "event", "api_version": "2024-06-20",
            "created": created or int(time.time()), "type": kind, "livemode": False, "pending_webhooks": 1,
            "data": {"object": obj}}
