from django.urls import path

from sessions_app import views
from sessions_app.views import requests

app_name = "sessions_app"

urlpatterns = [
    # Dashboard and portal
    path("dashboard/", views.dashboard, name="dashboard"),
    path("join/", views.join, name="join"),
    # Contacts
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/new/", views.contact_edit, name="contact_add"),
    path("contacts/<int:pk>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/search/", views.contact_search, name="contact_search"),
    # Sessions
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/open/", views.open_sessions, name="open_sessions"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/request/confirm/", requests.request_confirm, name="request_confirm"),
    path("sessions/<int:pk>/request/decline/", requests.request_decline, name="request_decline"),
    path("sessions/<int:pk>/series/enable/", views.series_enable, name="series_enable"),
    path("sessions/<int:pk>/save/", views.session_save, name="session_save"),
    path("sessions/<int:pk>/popup/", views.session_popup, name="session_popup"),
    path("sessions/bulk-save/", views.bulk_save, name="bulk_save"),
    path("sessions/cancellations/", views.cancellations, name="cancellations"),
    path("sessions/cancellations/preview/", views.cancellations_preview, name="cancellations_preview"),
    # Calendar, closures and the feed
    path("calendar/feed/", views.feed_settings, name="feed_settings"),
    path("calendar/feed/reset/", views.feed_reset, name="feed_reset"),
    path("feeds/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/events/", views.calendar_events, name="calendar_events"),
    path("calendar/sessions/<int:pk>/move/", views.session_move, name="session_move"),
    path("closures/new/", views.closure_add, name="closure_add"),
    path("closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
]
