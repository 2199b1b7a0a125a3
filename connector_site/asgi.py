"""ASGI entry point: HTTP through Django, WebSockets under /ws/ through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")

# Set up Django (and the app registry) before importing anything that uses models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from connector_site import daphne_tuning, gc_tuning  # noqa: E402
from connector_site.routing import websocket_urlpatterns  # noqa: E402
from webhooks import receiver  # noqa: E402

WEBHOOK_PATH = "/notifications/event"

daphne_tuning.install()


async def http_application(scope, receive, send):
    """The webhook path skips Django's middleware (see webhooks.receiver)."""
    if scope["path"] == WEBHOOK_PATH:
        return await receiver.application(scope, receive, send)
    return await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Last: whatever is alive now lives as long as the process.
gc_tuning.freeze_startup_objects()
