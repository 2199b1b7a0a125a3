"""System checks for settings that Django's own --deploy checks do not know about."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_sandbox_off_in_production(app_configs, **kwargs):
    """The sandbox lets anyone log in with published credentials."""
    if settings.SANDBOX_ENABLED and not settings.DEBUG:
        return [
            Warning(
                "SANDBOX_ENABLED is on: the offline LivePerson and its published "
                "credentials are reachable under /sandbox/.",
                hint="Unset SANDBOX_ENABLED in production.",
                id="connector_site.W001",
            )
        ]
    return []
