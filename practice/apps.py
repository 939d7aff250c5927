from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practice"


class PracticeAdminConfig(AdminConfig):
    default_site = "practice.admin_site.PracticeAdminSite"
