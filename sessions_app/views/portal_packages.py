"""The client portal's Packages section: what each package has left and until when, "Book
session", and "Pay now" for a package sold through Stripe Checkout. The portal home loads its
Packages card and the "Request a Session" pop-up from here (``?part=home``)."""
import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from practice.errors import DomainError
from practice.headers import STRIPE_CHECKOUT, content_security_policy
from sessions_app import money
from sessions_app.views.portal import client_required

log = logging.getLogger(__name__)


@client_required
@content_security_policy(form_action=f"'self' {STRIPE_CHECKOUT}")  # "Pay now" posts, then goes on to Stripe
def packages(request):
    mine = money.client_packages(request.practice, request.user)
    usable = sorted((p for p in mine if p.usable), key=lambda p: (p.expires_at, p.pk))
    if request.GET.get("part") == "home":
        return render(request, "sessions_app/portal/_packages_modal.html", {"usable": usable})
    paid = request.GET.get("paid", "")
    return render(request, "sessions_app/portal/packages.html", {
        "usable": usable,
        "awaiting": [p for p in mine if p.awaiting],
        "past": [p for p in mine if not p.usable and not p.awaiting],
        "just_paid": next((p for p in mine if str(p.pk) == paid and p.awaiting), None),
        "currency": request.practice.currency,
        "stripe_ready": request.practice.stripe_ready,
    })


@client_required
@require_POST
def package_pay(request, pk):
    """"Pay now": Stripe Checkout for one of the client's packages awaiting payment."""
    package = money.own_package(request.membership, pk)
    try:
        url = money.package_checkout(package)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:packages")
    if request.htmx:  # a boosted form: the browser itself must go to Stripe
        return HttpResponseClientRedirect(url)
    return redirect(url)
