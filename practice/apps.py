from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from practice import checks  # noqa: F401  (registers the deploy checks)
        from practice.middleware import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="practice_session_began")


class PracticeAdminConfig(AdminConfig):
    default_site = "practice.admin_site.PracticeAdminSite"
