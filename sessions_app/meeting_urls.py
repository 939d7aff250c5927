"""The meeting room: Enter Meeting (host), the device check and waiting room (participants)."""
from django.urls import path

from sessions_app.views import meeting

app_name = "meetings"
urlpatterns = [
    path("sessions/<int:pk>/meeting/", meeting.host_room, name="host_room"),
    path("meet/<str:token>/", meeting.room, name="room"),
]
