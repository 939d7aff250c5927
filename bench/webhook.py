"""Stripe webhook endpoint under 20 concurrent posts: verify, store, enqueue.

    .venv/bin/python bench/webhook.py [--rounds 10] [--concurrency 20]

Each post is a distinct payment event signed with the SDK's own signing code;
tasks go to a real Redis queue that no worker reads (processing is not timed).
Requests go through Django's test client in threads (server time, no network).
"""
import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import stripe  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench import seed_large_practice as seeding  # noqa: E402  (sets up Django)
from billing.models import StripeEvent  # noqa: E402
from billing.stripe_stub import event  # noqa: E402
from practice.celery import app  # noqa: E402
from practice.models import Practice  # noqa: E402

SLUG = "bench-webhook"
SECRET = "whsec_benchsecret"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    app.conf.task_default_queue = f"bench-unread-{uuid.uuid4().hex[:6]}"

    seeding.delete_previous(SLUG)
    practice = Practice.objects.create(name="Webhook Bench", slug=SLUG, stripe_secret_key="sk_test_bench", stripe_webhook_secret=SECRET)
    url = f"/billing/stripe/webhook/{SLUG}/"
    times, codes = [], []
    lock = threading.Lock()

    def post(payload):
        header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
        client = Client()
        barrier.wait()
        started = time.perf_counter()
        response = client.post(url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        elapsed = time.perf_counter() - started
        with lock:
            times.append(elapsed)
            codes.append(response.status_code)
        connection.close()

    for _ in range(args.rounds):
        barrier = threading.Barrier(args.concurrency)
        payloads = [json.dumps(event("payment_intent.succeeded", {
            "id": "pi_" + uuid.uuid4().hex, "object": "payment_intent", "amount": 15000, "amount_received": 15000,
            "currency": "usd", "metadata": {"practice_id": str(practice.pk), "participant_id": "0"}}))
            for _ in range(args.concurrency)]
        threads = [threading.Thread(target=post, args=(p,)) for p in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    stored = StripeEvent.objects.filter(practice=practice).count()
    times.sort()
    print(f"posts:        {len(times)} ({args.rounds} rounds of {args.concurrency} at once)")
    print(f"status 200:   {codes.count(200)}; stored events: {stored}")
    print(f"median:       {statistics.median(times) * 1000:.1f} ms")
    print(f"p95:          {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms")
    print(f"max:          {times[-1] * 1000:.1f} ms")
    StripeEvent.objects.filter(practice=practice).delete()
    seeding.delete_previous(SLUG)


if __name__ == "__main__":
    main()
