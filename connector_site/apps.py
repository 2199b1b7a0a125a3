from django.apps import AppConfig


class ConnectorSiteConfig(AppConfig):
    name = "connector_site"
    verbose_name = "Connector site"

    def ready(self):
        from connector_site import checks  # noqa: F401  (registers system checks)
