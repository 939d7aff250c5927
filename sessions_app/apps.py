from django.apps import AppConfig
from django.db.models.signals import post_save


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions"

    def ready(self):
        from practice.models import Practice
        from sessions_app.completion import create_defaults_for_new_practice

        post_save.connect(create_defaults_for_new_practice, sender=Practice, dispatch_uid="completion_defaults")
