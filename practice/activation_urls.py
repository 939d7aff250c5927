"""Client portal activation (issue 13), included by practice/urls.py under ``activate/``.

No namespace: the e-mail's link is built with ``reverse("activate", ...)`` (practice.activation).
"""
from django.urls import path

from practice import activation_views

urlpatterns = [
    path("<uidb64>/<token>/", activation_views.activate, name="activate"),
]
