from django.apps import AppConfig


class AppsAdminConfig(AppConfig):
    name = "apps_admin"
