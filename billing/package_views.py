"""Packages for the team: the products (admins), and a client's packages on their account page
(assign or sell one, cancel one nothing is booked on). Rows come through billing.packages'
access functions (another practice's ids answer 404); the rules live in billing.packages."""
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import access, packages
from billing.package_forms import AssignPackageForm, PackageProductForm
from practice import access as practice_access
from practice import audit
from practice.errors import DomainError
from practice.models import Role

NO_PORTAL = "Packages are for clients with a client portal account: invite this contact to the client portal first."


@practice_access.admin_required
def product_list(request):
    return render(request, "billing/packages/product_list.html", {"products": packages.products_of(request.membership)})


@practice_access.member_required
def product_edit(request, pk=None):
    """A new product (``pk`` None) or one of the practice's, admins only."""
    if pk:
        product = packages.product_for(request.membership, pk)
    else:
        practice_access.require(request.membership, [Role.ADMIN])
        product = None
    form = PackageProductForm(request.POST if request.method == "POST" else None, instance=product, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, f"Package “{saved}” saved.")
        return redirect("billing:packages")
    return render(request, "billing/packages/product_form.html", {"form": form, "product": product},
                  status=400 if form.errors else 200)


def _account_url(account):
    return reverse("billing:client_account", args=[account.kind, account.pk])


@practice_access.team_required
def client_packages(request, kind, pk):
    """A client's packages and the form to assign one: shown inside the account page (htmx), or as
    a page of its own; a POST assigns (back to the account page), a bad choice shows the errors."""
    account = access.client_account_for(request.membership, kind, pk)
    form = AssignPackageForm(request.POST if request.method == "POST" else None, practice=request.practice)
    if request.method == "POST" and account.client is None:
        form.is_valid()
        form.add_error(None, NO_PORTAL)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            package = packages.assign(practice=request.practice, actor=request.user, client=account.client,
                                      product=data["product"], how=data["how"])
        except DomainError as error:
            form.add_error(None, error)
        else:
            done = {packages.OUTSIDE: "marked as paid outside the app", packages.FREE: "given free",
                    packages.STRIPE: "waiting for the client to pay from their portal (Pay now under Packages)"}
            messages.success(request, f"Package “{package.name}” assigned to {account.name}: {done[data['how']]}.")
            return redirect(_account_url(account))
    audit.record(request, audit.AccessKind.CLIENT_ACCOUNT, account.key, f"packages, client account {account.key}")
    mine = packages.client_packages(request.practice, account.client) if account.client is not None else []
    context = {"account": account, "form": form, "packages": mine, "currency": request.practice.currency,
               "offered": form.fields["product"].queryset.exists()}
    if request.htmx and request.method == "GET":
        return render(request, "billing/packages/_client_packages.html", context)
    return render(request, "billing/packages/client_packages.html", context, status=400 if form.errors else 200)


@practice_access.team_required
@require_POST
def client_package_cancel(request, pk):
    package = packages.client_package_for_team(request.membership, pk)
    try:
        packages.cancel(practice=request.practice, actor=request.user, client_package=package)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Package “{package.name}” canceled.")
    return redirect("billing:client_account", kind=access.USER, pk=package.client_id)
