"""Payment pages (public, by signed link), the Stripe webhook, refunds and the Stripe settings page."""
import logging

import stripe
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import payments
from billing.models import Payment
from practice import access as practice_access
from practice.errors import DomainError
from practice.models import TEAM_ROLES, Practice
from sessions_app import access as session_access

log = logging.getLogger(__name__)


def pay(request, token):
    participant = payments.participant_for_token(token)
    if participant is None:
        raise Http404
    session = participant.session
    if request.method == "POST" and payments.due_request(participant):
        try:
            return redirect(payments.start_checkout(participant))
        except (payments.NotConfigured, stripe.StripeError) as error:
            log.warning("checkout for participant %s failed: %s", participant.pk, error)
            messages.error(request, "The payment page could not be opened just now. Please try again in a few minutes.")
    return render(request, "billing/payments/pay.html", {"participant": participant, "session": session,
                                                        "practice": session.practice,
                                                        "payment": payments.request_of(participant)})


def pay_done(request, token):
    participant = payments.participant_for_token(token)
    if participant is None:
        raise Http404
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


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount to refund", max_digits=10, decimal_places=2, min_value=0.01, required=False,
                                help_text="Leave empty to refund everything that is left.")


@practice_access.member_required
@require_POST
def refund(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("participant__session"), pk=pk, practice=request.practice)
    session_access.session_for(request.membership, payment.participant.session_id)  # practitioners: their own sessions only
    practice_access.require(request.membership, TEAM_ROLES)
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


def _mask(value):
    return f"{value[:8]}…{value[-4:]}" if value else ""


class StripeSettingsForm(forms.Form):
    stripe_account_id = forms.RegexField(label="Connected account (acct_…)", regex=r"^(acct_[A-Za-z0-9]+)?$", required=False,
                                         error_messages={"invalid": "A connected account id starts with acct_."})
    stripe_publishable_key = forms.RegexField(label="Publishable key", regex=r"^(pk_(test|live)_[A-Za-z0-9]+)?$", required=False,
                                              error_messages={"invalid": "A publishable key starts with pk_test_ or pk_live_."})
    stripe_secret_key = forms.RegexField(label="Secret key", regex=r"^((sk|rk)_(test|live)_[A-Za-z0-9]+)?$", required=False,
                                         widget=forms.PasswordInput(render_value=False),
                                         error_messages={"invalid": "A secret key starts with sk_test_, sk_live_ or rk_."},
                                         help_text="Leave empty to keep the saved key.")
    stripe_webhook_secret = forms.RegexField(label="Webhook signing secret", regex=r"^(whsec_[A-Za-z0-9]+)?$", required=False,
                                             widget=forms.PasswordInput(render_value=False),
                                             error_messages={"invalid": "A signing secret starts with whsec_."},
                                             help_text="Leave empty to keep the saved secret.")
    clear_keys = forms.BooleanField(label="Remove the saved keys", required=False)


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
        "form": form, "secret_mask": _mask(practice.stripe_secret_key), "webhook_mask": _mask(practice.stripe_webhook_secret),
        "webhook_url": request.build_absolute_uri(f"/billing/stripe/webhook/{practice.slug}/"),
    })
