import os

from django.core.asgi import get_asgi_application

from practice import embedded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")
embedded.ensure_started()  # the embedded servers, when DATABASE_URL / REDIS_URL are unset
application = get_asgi_application()
