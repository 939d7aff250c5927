"""Client balances, practitioner wages and invoices (being written)."""


def client_list(request):
    raise NotImplementedError


def client_account(request, kind, pk):
    raise NotImplementedError


def invoice(request, kind, pk):
    raise NotImplementedError


def invoice_pdf(request, kind, pk):
    raise NotImplementedError


def wages(request):
    raise NotImplementedError


def my_balance(request):
    raise NotImplementedError
