"""Password reset pages, included by practice/urls.py under ``password/reset/`` (no namespace:
Django's reset views reverse these names)."""
from django.urls import path

from notifications import accounts

urlpatterns = [
    path("", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("complete/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
]
