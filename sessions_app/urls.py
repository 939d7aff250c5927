from django.urls import path

from sessions_app import views

app_name = "sessions_app"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("my/sessions/", views.my_sessions, name="my_sessions"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/new/", views.contact_edit, name="contact_add"),
    path("contacts/<int:pk>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
]

urlpatterns += [
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("contacts/search/", views.contact_search, name="contact_search"),
]
