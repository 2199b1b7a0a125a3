"""Client secrets of the installations this deployment knows, for signature
checks, cached per process so the hot path rarely touches the database.

A cached secret must not outlive its installation: uninstalling an app or
rotating its secret takes effect in every process within about a second. On
PostgreSQL a trigger (migration 0007) sends `NOTIFY webhook_installations` with
"<account>:<client>" whenever an installation row changes; each event loop
LISTENs on a connection of its own and forgets that app's entry. While it is
not listening (connecting, PostgreSQL away) and on other databases, entries
loaded live only WEBHOOK_SECRET_UNLISTENED_CACHE_SECONDS; entries loaded before
keep their time, so that a PostgreSQL restart does not send every webhook to the
database, and are all forgotten once it listens again.

Concurrent lookups of one app share one query: a flood of a thousand
connections arriving at once (or at the moment the cache is emptied) otherwise
queued a thousand identical queries and answered the last ones seconds late
(bin/bench-faults, "flood").
"""

import asyncio
import contextlib
import contextvars
import logging
import time
import weakref
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connection

from apps_admin.models import Installation
from core.offloop import off_loop

logger = logging.getLogger(__name__)

CHANNEL = "webhook_installations"
RECONNECT_SECONDS = 1.0


@dataclass(frozen=True)
class App:
    """What this deployment knows of an app: its secret ('' when it has none here),
    and whether it was uninstalled (known, and gone)."""

    secret: str = ""
    uninstalled: bool = False


UNKNOWN = App()

_cache: dict[tuple[str, str], tuple[float, App]] = {}
# Bumped by every notification: a lookup that raced one is not trusted for long.
_changes = 0


_loading: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Task]]" = (
    weakref.WeakKeyDictionary()
)


async def app_for(account_id: str, client_id: str) -> App:
    """The installation's secret and state, cached."""
    key = (account_id, client_id)
    cached = _cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    loop = asyncio.get_running_loop()
    loading = _loading.setdefault(loop, {})
    task = loading.get(key)
    if task is None:
        task = loading[key] = loop.create_task(_load_and_cache(key))
        task.add_done_callback(lambda done: loading.pop(key) if loading.get(key) is done else None)
    # Shielded: a request that gives up must not cancel the others' lookup.
    return await asyncio.shield(task)


async def _load_and_cache(key: tuple[str, str]) -> App:
    now = time.monotonic()
    listening = _listener().listening
    changes_before = _changes
    app = await off_loop(_load)(*key)
    _cache[key] = (now + _ttl(app, listening and changes_before == _changes), app)
    return app


async def client_secret(account_id: str, client_id: str) -> str:
    """The app's secret, or '' when no such installation is known here."""
    return (await app_for(account_id, client_id)).secret


def _ttl(app: App, trusted: bool) -> float:
    if not trusted:
        return settings.WEBHOOK_SECRET_UNLISTENED_CACHE_SECONDS
    # Unknown apps are cached briefly: an app created a moment ago is found soon.
    return settings.WEBHOOK_SECRET_CACHE_SECONDS if app.secret else settings.WEBHOOK_UNKNOWN_APP_CACHE_SECONDS


def forget(payload: str) -> None:
    """Drop the cached entry of "<account>:<client>" (a notification's payload)."""
    global _changes
    _changes += 1
    account_id, _, client_id = payload.partition(":")
    _cache.pop((account_id, client_id), None)


def clear_cache() -> None:
    _cache.clear()


def _load(account_id: str, client_id: str) -> App:
    record = (
        Installation.objects.for_account(account_id)
        .filter(client_id=client_id)
        .only("client_secret", "deleted_at")
        .first()
    )
    if record is None:
        return UNKNOWN
    if record.deleted_at is not None:
        return App(uninstalled=True)
    return App(secret=record.client_secret)


# --- Listening for changes -------------------------------------------------------


class _Listener:
    """LISTEN webhook_installations on a connection of its own, for one event loop."""

    def __init__(self):
        self.listening = False
        self._connection: psycopg.AsyncConnection | None = None
        # A context of its own, not the request's that happened to start it (its log lines' id).
        self._task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError, TimeoutError) as exc:
                logger.warning("not listening for installation changes (secrets are cached briefly): %r", exc)
            # Cached entries are kept meanwhile: PostgreSQL away (a restart) must not
            # send every webhook to the database. Whatever changed while this was not
            # listening is forgotten when it listens again.
            self.listening = False
            await self._close()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        params = connection.get_connection_params()
        for sync_only in ("cursor_factory", "context"):
            params.pop(sync_only, None)
        async with asyncio.timeout(RECONNECT_SECONDS * 2):
            self._connection = await psycopg.AsyncConnection.connect(**params, autocommit=True)
            await self._connection.execute(f"LISTEN {CHANNEL}")
        # Entries cached before this point may have missed a change.
        clear_cache()
        self.listening = True
        async for notification in self._connection.notifies():
            forget(notification.payload)

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                await self._connection.close()
            self._connection = None

    def close_now(self) -> None:
        """Close without the event loop (it may have stopped): the socket only."""
        self.listening = False
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None


class _NotListening:
    listening = False

    def close_now(self) -> None:
        pass


_listeners: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Listener]" = weakref.WeakKeyDictionary()


def _listener() -> "_Listener | _NotListening":
    if connection.vendor != "postgresql":
        return _NotListening()
    loop = asyncio.get_running_loop()
    if loop not in _listeners:
        _listeners[loop] = _Listener()
    return _listeners[loop]


def close_listeners() -> None:
    """Close every event loop's listening connection (tests, shutdown)."""
    for listener in list(_listeners.values()):
        listener.close_now()
    _listeners.clear()
    clear_cache()
