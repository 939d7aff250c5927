"""The ASGI entry point (daphne, `manage.py runserver`): HTTP is Django (static files through
WhiteNoise's middleware, as under WSGI), WebSockets are the meeting room's Channels consumers.
"""
import importlib
import os

from django.core.asgi import get_asgi_application

from practice import embedded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")
embedded.ensure_started()  # the embedded servers, when DATABASE_URL / REDIS_URL are unset
django_application = get_asgi_application()  # sets Django up before the consumers import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402


def websocket_application():
    # By name: the project package imports nothing of the apps (practice/tests/test_layering.py).
    routing = importlib.import_module("sessions_app.routing")
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routing.websocket_urlpatterns)))


application = ProtocolTypeRouter({"http": django_application, "websocket": websocket_application()})
