"""Client balances, practitioner wages and invoices.

Thin views: parse the request, fetch through billing.access with the request's
membership (tenant and role scoping), build the data with billing.statements,
billing.invoices or billing.wages, render. A bad period or search
answers 400 with the form error in plain words.
"""
from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from billing import access, invoices, pdf, statements
from billing.forms import PeriodForm, SearchForm
from billing.wages import paginate_lines, wage_report, wages_total
from practice import access as practice_access
from practice import audit, periods
from practice.models import Role
from sessions_app import documents


def _status(*forms_):
    return 200 if all(form.is_valid() for form in forms_) else 400


def _statement_page(request, account, template, **extra):
    form = PeriodForm(request.GET, default=periods.this_year(request.practice))
    statement = None
    if form.is_valid():
        start, end = form.period
        statement = statements.statement(request.practice, account.lines(request.practice), start, end)
    return render(request, template, {"account": account, "form": form, "statement": statement, **extra},
                  status=_status(form))


@practice_access.team_required
def client_list(request):
    """Every account the member may see, with charges, payments and balance; searchable by name."""
    form = SearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    lines = access.account_lines_visible_to(request.membership)
    if form.is_valid():  # the page's accounts and their totals only: two queries, whatever the ledger's size
        page = statements.account_page(request.practice, lines, search=search, number=request.GET.get("page"))
    else:
        page = Paginator([], statements.PAGE_SIZE).get_page(1)
    page.object_list = statements.summary_rows(page.object_list, request.practice.currency)
    return render(request, "billing/client_list.html", {"form": form, "page": page, "search": search},
                  status=_status(form))


@practice_access.member_required
def client_account(request, kind, pk):
    """One account's lines for a period (this calendar year by default), with totals and the balance."""
    account = access.client_account_for(request.membership, kind, pk)
    if request.membership.role == Role.CLIENT:  # only ever their own account (else 404 above)
        query = request.GET.urlencode()
        return redirect(reverse("billing:my_balance") + (f"?{query}" if query else ""))
    audit.record(request, audit.AccessKind.CLIENT_ACCOUNT, account.key, f"client account {account.key}")
    # The client's participant documents (sent, signed, outstanding): one query.
    sent = list(documents.for_account(request.membership, client=account.client, contact=account.contact)[:100])
    return _statement_page(request, account, "billing/client_account.html", documents=sent)


@practice_access.role_required(Role.CLIENT)
def my_balance(request):
    """A client's own account in this practice: totals, lines and their invoice."""
    return _statement_page(request, access.own_account(request.membership), "billing/my_balance.html")


def _invoice(request, kind, pk, what="invoice"):
    account = access.client_account_for(request.membership, kind, pk)
    audit.record(request, audit.AccessKind.INVOICE, account.key, f"{what}, client account {account.key}")
    form = PeriodForm(request.GET, default=periods.this_year(request.practice))
    if not form.is_valid():
        return account, form, None
    start, end = form.period
    return account, form, invoices.invoice(request.practice, account, start, end)


def _invoice_page(request, account, form, invoice, status=200):
    back = (reverse("billing:my_balance") if request.membership.role == Role.CLIENT
            else reverse("billing:client_account", args=[account.kind, account.pk]))
    return render(request, "billing/invoice.html",
                  {"account": account, "form": form, "invoice": invoice, "back": back}, status=status)


@practice_access.member_required
def invoice(request, kind, pk):
    account, form, data = _invoice(request, kind, pk)
    return _invoice_page(request, account, form, data, status=_status(form))


@practice_access.member_required
def invoice_pdf(request, kind, pk):
    account, form, data = _invoice(request, kind, pk, what="invoice PDF")
    if data is None:
        return _invoice_page(request, account, form, None, status=400)
    response = HttpResponse(pdf.render_invoice(data), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, data.filename)
    return response


@practice_access.team_required
def wages(request):
    """Wages for sessions in a period (this month by default): office roles every practitioner, a practitioner their own."""
    practitioners = access.practitioners_visible_to(request.membership)
    extra = {}
    if request.membership.is_office:
        extra["practitioner"] = forms.ModelChoiceField(
            label="Practitioner", required=False, queryset=practitioners, empty_label="All practitioners",
            error_messages={"invalid_choice": "Choose a practitioner from the list."},
        )
    form = PeriodForm(request.GET, default=periods.this_month(request.practice), extra_fields=extra)
    report = []
    if form.is_valid():
        start, end = form.period
        chosen = form.cleaned_data.get("practitioner") if request.membership.is_office else request.user
        report = wage_report(request.practice, start, end, practitioner=chosen)
    # Totals of the whole period; the lines a page at a time (a busy month is thousands of lines).
    page = paginate_lines(report, request.GET.get("page"))
    context = {"form": form, "report": report, "total": wages_total(report, request.practice.currency), "page": page}
    return render(request, "billing/wages.html", context, status=_status(form))
