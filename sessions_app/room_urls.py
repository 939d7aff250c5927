"""Room settings pages, under /settings/rooms/ with the settings page's other names (no namespace)."""
from django.urls import path

from sessions_app.views.rooms import room_edit

urlpatterns = [
    path("new/", room_edit, name="room_add"),
    path("<int:pk>/", room_edit, name="room_edit"),
]
