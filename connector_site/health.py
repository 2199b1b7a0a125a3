"""GET /health: can this process use the database and the channel layer?

200 when both work, 503 naming each failing part. Details of a failure go to
the log, not to the (public) response. A fallback in use (core/degraded.py: an
upgrade took away an internal a speed-up relies on) makes the status
"degraded", still 200, with the fallbacks' names under "degraded".
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from core import degraded

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0


def _query_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _round_trip_channel_layer() -> None:
    """Send a message to a fresh channel and read it back."""
    layer = get_channel_layer()
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "health.ping":
        raise RuntimeError("channel layer returned a different message")


CHECKS = {
    "database": lambda: sync_to_async(_query_database)(),
    "channel_layer": _round_trip_channel_layer,
}


async def _run_check(name: str) -> str:
    try:
        await asyncio.wait_for(CHECKS[name](), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:  # any failure means "not healthy"; the log keeps the cause
        logger.exception("health check %s failed", name)
        return "unavailable"
    return "ok"


@require_GET
async def health(request):
    names = list(CHECKS)
    results = await asyncio.gather(*(_run_check(name) for name in names))
    checks = dict(zip(names, results, strict=True))
    failing = [name for name, result in checks.items() if result != "ok"]
    fallbacks = sorted(degraded.active())
    status = "error" if failing else "degraded" if fallbacks else "ok"
    body = {"status": status, "checks": checks, "failing": failing, "degraded": fallbacks}
    return JsonResponse(body, status=503 if failing else 200)
