"""The installed apps of the user's account that the demo chat can use."""

from dataclasses import dataclass, field

from django.conf import settings

from apps_admin.manifest import WEBHOOK_TYPES
from apps_admin.models import Installation
from apps_admin.services import DEMO_PATH
from chat.exceptions import ChatError


@dataclass(frozen=True)
class DemoApp:
    """An installed app the chat can use; `webhooks_here` is False when its
    notifications go elsewhere (the chat would then see no events)."""

    client_id: str
    name: str
    webhooks_here: bool
    endpoints: dict = field(default_factory=dict, compare=False)


def demo_installations(*, user, demo_url: str = "") -> list[DemoApp]:
    """The user's account's enabled Connector API apps, by name.

    `demo_url` is this deployment's webhook URL (apps_admin.services.demo_endpoint);
    without it, PUBLIC_BASE_URL's, or any endpoint ending in /notifications/event.
    """
    if not user.lp_account_id:
        return []
    installations = (
        Installation.objects.for_account(user.lp_account_id)
        .installed()
        .filter(enabled=True, scope="msg.consumer")
        .order_by("name", "client_id")
    )
    target = demo_url or (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}{DEMO_PATH}" if settings.PUBLIC_BASE_URL else ""
    )
    return [
        DemoApp(
            client_id=app.client_id,
            name=app.name,
            webhooks_here=webhooks_here(app.endpoints, target),
            endpoints=app.endpoints,
        )
        for app in installations
    ]


def webhooks_here(endpoints: dict, target: str) -> bool:
    """Whether every webhook of the app goes to `target`, or without one to
    some /notifications/event endpoint."""
    if len(endpoints) < len(WEBHOOK_TYPES):
        return False
    if target:
        return set(endpoints.values()) == {target}
    return all(str(url).endswith(DEMO_PATH) for url in endpoints.values())


def installation_for(user, client_id: str) -> Installation:
    """The app, only when it is an installed app of the user's account."""
    installation = (
        Installation.objects.for_account(user.lp_account_id or "-")
        .installed()
        .filter(client_id=client_id)
        .first()
    )
    if installation is None:
        raise ChatError("This app is not installed on your account.")
    if not installation.enabled:
        raise ChatError("This app is disabled: enable it to chat through it.")
    return installation
