from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from practice import views

urlpatterns = [
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", include("notifications.account_urls")),
    path("settings/", views.practice_settings, name="practice_settings"),
    path("settings/texts/", views.text_settings, name="text_settings"),
    path("settings/services/new/", views.service_edit, name="service_add"),
    path("settings/services/<int:pk>/", views.service_edit, name="service_edit"),
    path("settings/rooms/", include("sessions_app.room_urls")),
    path("settings/availability/", include("practice.availability_urls")),
    path("settings/cancellation-policy/", include("sessions_app.policy_urls")),
    path("activate/", include("practice.activation_urls")),
    path("portal-invitations/", include("sessions_app.invitation_urls")),
    path("", include("sessions_app.document_urls")),  # before /my/: the portal's /my/documents/
    path("my/", include("sessions_app.portal_urls")),
    path("", include("sessions_app.meeting_urls")),
    path("", include("sessions_app.urls")),
    path("billing/", include("billing.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
]
