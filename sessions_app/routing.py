"""WebSocket routes (practice/asgi.py loads them by name)."""
from django.urls import path

from sessions_app import consumers

websocket_urlpatterns = [
    path("ws/meetings/<int:session_id>/", consumers.MeetingConsumer.as_asgi()),
]
