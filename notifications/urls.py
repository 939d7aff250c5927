from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("twilio/status/<slug:slug>/", views.twilio_status_practice, name="twilio_status_practice"),
]
