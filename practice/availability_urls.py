"""Practitioners' weekly hours and days off, and the practice's booking settings, under
/settings/availability/ with the settings page's other names (no namespace)."""
from django.urls import path

from practice import availability_views as views

urlpatterns = [
    path("", views.availability, name="availability"),
    path("<int:practitioner_id>/", views.availability_for, name="availability_for"),
    path("<int:practitioner_id>/days-off/", views.day_off_add, name="day_off_add"),
    path("days-off/<int:pk>/delete/", views.day_off_delete, name="day_off_delete"),
    path("booking/", views.booking_settings, name="booking_settings"),
]
