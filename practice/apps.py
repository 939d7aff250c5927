from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice"

    def ready(self):
        from practice import checks  # noqa: F401  (registers the deploy checks)


class PracticeAdminConfig(AdminConfig):
    default_site = "practice.admin_site.PracticeAdminSite"
