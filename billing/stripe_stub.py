"""A loopback stand-in for the Stripe API calls this app makes (Checkout Sessions,
Refunds, List Events), for tests and benchmarks: the real stripe-python SDK runs
unchanged with STRIPE_API_BASE pointed here. localstripe has no Checkout Sessions.
"""
import time
import uuid
from urllib.parse import parse_qs, urlparse

from notifications.stubs import JsonHandler, LoopbackServer


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


class StripeStub(LoopbackServer):
    def __init__(self):
        self.requests = []
        self.events = []  # what GET /v1/events lists (newest first, as Stripe does)
        stub = self

        class Handler(JsonHandler):
            extra_headers = {"Request-Id": "req_stub"}

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                body = _nest(form)
                stub.requests.append({"method": "POST", "path": self.path, "body": body,
                                      "account": self.headers.get("Stripe-Account"), "auth": self.headers.get("Authorization")})
                if self.path == "/v1/checkout/sessions":
                    sid = "cs_test_" + uuid.uuid4().hex
                    self._answer(200, {"id": sid, "object": "checkout.session", "url": f"https://checkout.stripe.com/c/pay/{sid}",
                                       "mode": "payment", "payment_status": "unpaid", "metadata": body.get("metadata", {})})
                elif self.path == "/v1/refunds":
                    self._answer(200, {"id": "re_" + uuid.uuid4().hex, "object": "refund", "status": "pending",
                                       "amount": int(body.get("amount", 0)), "payment_intent": body.get("payment_intent")})
                else:
                    self._answer(404, {"error": {"type": "invalid_request_error", "message": f"No such path {self.path}"}})

            def do_GET(self):
                url = urlparse(self.path)
                stub.requests.append({"method": "GET", "path": url.path, "query": parse_qs(url.query)})
                if url.path == "/v1/events":
                    self._answer(200, {"object": "list", "url": "/v1/events", "has_more": False, "data": stub.events})
                else:
                    self._answer(404, {"error": {"type": "invalid_request_error", "message": "No such path"}})

        super().__init__(Handler)


def event(kind: str, obj: dict, *, event_id=None, created=None) -> dict:
    """A Stripe event envelope around ``obj``, as the API sends it."""
    return {"id": event_id or "evt_" + uuid.uuid4().hex, "object": "event", "api_version": "2024-06-20",
            "created": created or int(time.time()), "type": kind, "livemode": False, "pending_webhooks": 1,
            "data": {"object": obj}}
