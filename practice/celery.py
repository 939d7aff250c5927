import os

from celery import Celery, signals

from practice import embedded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

app = Celery("practice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.import_modules.connect(sender=app)
def _start_embedded_servers(sender=None, **kwargs):
    """Worker and beat (and `celery shell`) start the embedded servers when DATABASE_URL /
    REDIS_URL are unset, before they connect. Importing this module starts nothing: the
    package imports it, and so does anything that imports practice.settings."""
    embedded.ensure_started()
