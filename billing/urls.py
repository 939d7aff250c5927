from django.urls import path, register_converter

from billing import views


class AccountKind:
    """``u`` for a client user's account, ``c`` for a contact without an account."""

    regex = "[uc]"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(AccountKind, "account")

app_name = "billing"

urlpatterns = [
    path("clients/", views.client_list, name="clients"),
    path("clients/<account:kind><int:pk>/", views.client_account, name="client_account"),
    path("clients/<account:kind><int:pk>/invoice/", views.invoice, name="invoice"),
    path("clients/<account:kind><int:pk>/invoice.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("wages/", views.wages, name="wages"),
    path("my/balance/", views.my_balance, name="my_balance"),
]

from billing import payment_views  # noqa: E402

urlpatterns += [
    path("pay/<str:token>/", payment_views.pay, name="pay"),
    path("pay/<str:token>/done/", payment_views.pay_done, name="pay_done"),
    path("stripe/webhook/<slug:slug>/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("payments/<int:pk>/refund/", payment_views.refund, name="refund"),
    path("settings/stripe/", payment_views.stripe_settings, name="stripe_settings"),
]

from billing import package_views  # noqa: E402

urlpatterns += [
    path("packages/", package_views.product_list, name="packages"),
    path("packages/new/", package_views.product_edit, name="package_new"),
    path("packages/<int:pk>/", package_views.product_edit, name="package_edit"),
    path("clients/<account:kind><int:pk>/packages/", package_views.client_packages, name="client_packages"),
    path("client-packages/<int:pk>/cancel/", package_views.client_package_cancel, name="client_package_cancel"),
]
