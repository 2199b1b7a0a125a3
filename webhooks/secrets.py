"""Client secrets of the installations this deployment knows, for signature
checks, cached per process so the hot path rarely touches the database."""

import time

from channels.db import database_sync_to_async
from django.conf import settings

from apps_admin.models import Installation

_cache: dict[tuple[str, str], tuple[float, str]] = {}


async def client_secret(account_id: str, client_id: str) -> str:
    """The app's secret, or '' when no such installation is known here."""
    key = (account_id, client_id)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    secret = await database_sync_to_async(_load)(account_id, client_id)
    # Unknown apps are cached briefly: an app created a moment ago is found soon.
    ttl = settings.WEBHOOK_SECRET_CACHE_SECONDS if secret else settings.WEBHOOK_UNKNOWN_APP_CACHE_SECONDS
    _cache[key] = (now + ttl, secret)
    return secret


def clear_cache() -> None:
    _cache.clear()


def _load(account_id: str, client_id: str) -> str:
    record = (
        Installation.objects.for_account(account_id)
        .installed()
        .filter(client_id=client_id)
        .only("client_secret_encrypted")
        .first()
    )
    return record.client_secret if record else ""
