"""The practice's cancellation policy settings (admins), under /settings/cancellation-policy/
with the settings page's other names (no namespace)."""
from django.urls import path

from sessions_app.views.policy_settings import cancellation_policy

urlpatterns = [
    path("", cancellation_policy, name="cancellation_policy"),
]
