"""Payment pages (public, by signed link), the Stripe webhook, refunds and the Stripe settings page."""
import logging

import stripe
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import access, payments
from billing.forms import RefundForm, StripeSettingsForm, mask
from practice import access as practice_access
from practice.errors import DomainError
from practice.headers import STRIPE_CHECKOUT, content_security_policy, no_store
from practice.models import Practice

log = logging.getLogger(__name__)


def _nothing_due(request, participant=None):
    """A genuine link whose participant was removed from the session: a plain page, nothing to pay."""
    return render(request, "billing/payments/pay.html", {"participant": participant, "removed": participant is None})


@no_store
@content_security_policy(form_action=f"'self' {STRIPE_CHECKOUT}")
def pay(request, token):
    if payments.participant_id_for_token(token) is None:
        raise Http404
    participant = payments.participant_for_token(token)
    if participant is None:
        return _nothing_due(request)
    session = participant.session
    due = payments.due_request(participant)
    if request.method == "POST" and due:
        try:
            return redirect(payments.start_checkout(participant))
        except DomainError as error:  # paid a moment ago: the payment is being confirmed
            messages.info(request, " ".join(error.messages))
        except (payments.NotConfigured, stripe.StripeError) as error:
            log.warning("checkout for participant %s failed: %s", participant.pk, error)
            messages.error(request, "The payment page could not be opened just now. Please try again in a few minutes.")
    return render(request, "billing/payments/pay.html", {"participant": participant, "session": session,
                                                        "practice": session.practice, "due": due,
                                                        "canceled": payments.is_canceled(participant),
                                                        "payment": payments.request_of(participant)})


@no_store
def pay_done(request, token):
    if payments.participant_id_for_token(token) is None:
        raise Http404
    participant = payments.participant_for_token(token)
    if participant is None:
        return _nothing_due(request)
    return render(request, "billing/payments/pay_done.html", {"participant": participant, "practice": participant.session.practice,
                                                             "payment": payments.request_of(participant)})


@csrf_exempt
@require_POST
def stripe_webhook(request, slug):
    """Verify on the raw body, store once, queue, answer at once."""
    practice = Practice.objects.filter(slug=slug).first()
    secret = payments.webhook_secret(practice) if practice else ""
    if not secret:
        return HttpResponseBadRequest("Unknown endpoint.")
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), secret)
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("Invalid payload or signature.")
    with transaction.atomic():
        payments.store_event(practice, event.to_dict())
    return HttpResponse(status=200)


@practice_access.member_required
@require_POST
def refund(request, pk):
    payment = access.payment_for(request.membership, pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter an amount of at least 0.01, or leave it empty for a full refund.")
    else:
        try:
            payments.request_refund(practice=request.practice, actor=request.user, payment=payment, amount=form.cleaned_data["amount"])
        except payments.NotConfigured as error:
            messages.error(request, f"Stripe did not accept the refund: {error.message}")
        except DomainError as error:
            messages.error(request, error.message)
        except stripe.StripeError as error:
            messages.error(request, f"Stripe did not accept the refund: {error}")
        else:
            messages.success(request, "Refund requested. It shows here as soon as Stripe confirms it.")
    return redirect("sessions_app:session_detail", pk=payment.participant.session_id)


@practice_access.admin_required
def stripe_settings(request):
    practice = request.practice
    form = StripeSettingsForm(request.POST or None, initial={
        "stripe_account_id": practice.stripe_account_id, "stripe_publishable_key": practice.stripe_publishable_key})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        practice.stripe_account_id = data["stripe_account_id"]
        practice.stripe_publishable_key = data["stripe_publishable_key"]
        if data["clear_keys"]:
            practice.stripe_secret_key = practice.stripe_webhook_secret = ""
        for field in ("stripe_secret_key", "stripe_webhook_secret"):
            if data[field]:
                setattr(practice, field, data[field])
        practice.save(update_fields=["stripe_account_id", "stripe_publishable_key", "stripe_secret_key", "stripe_webhook_secret"])
        messages.success(request, "Stripe settings saved.")
        return redirect("billing:stripe_settings")
    return render(request, "billing/payments/stripe_settings.html", {
        "form": form, "secret_mask": mask(practice.stripe_secret_key), "webhook_mask": mask(practice.stripe_webhook_secret),
        "webhook_url": request.build_absolute_uri(f"/billing/stripe/webhook/{practice.slug}/"),
    })
