"""Waking the workers when there is new work, instead of waiting for their next poll.

`wake()` sends `NOTIFY connector_site_worker` through Django's connection.
PostgreSQL delivers a notification when its transaction commits (never, if it
rolls back), so calling it inside the transaction that created the work is
right: no worker looks before the work is visible. On other databases (SQLite
in `make run`) it does nothing and the workers simply poll.

A worker waits with a `Waiter`: `ListeningWaiter` LISTENs on a dedicated
psycopg connection (autocommit, outside Django's pool); `PollingWaiter` only
sleeps. Both return early when `interrupt()` is called (the signal handler does).
"""

import contextlib
import logging
import os
import select

import psycopg
from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "connector_site_worker"


def wake() -> None:
    """Make every worker look for work now (at commit, inside a transaction)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {CHANNEL}")


class PollingWaiter:
    """Sleeps up to the timeout; `interrupt()` (signal-safe) ends the sleep."""

    def __init__(self):
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    def interrupt(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the waiter wakes anyway
            os.write(self._write_fd, b"x")

    def wait(self, timeout: float) -> bool:
        """Returns True when woken early (by a notification or an interrupt)."""
        ready, _, _ = select.select([self._read_fd, *self._extra_fds()], [], [], max(timeout, 0))
        if self._read_fd in ready:
            os.read(self._read_fd, 4096)
        return bool(ready) and self._woken(ready)

    def _extra_fds(self) -> list[int]:
        return []

    def _woken(self, ready: list[int]) -> bool:
        return True

    def close(self) -> None:
        os.close(self._read_fd)
        os.close(self._write_fd)


class ListeningWaiter(PollingWaiter):
    """Also wakes on `NOTIFY connector_site_worker`, on its own connection."""

    def __init__(self, conninfo: dict):
        super().__init__()
        self._conninfo = conninfo
        self._conn: psycopg.Connection | None = None

    def listen(self) -> None:
        """(Re)connect and LISTEN; a failure is logged and the worker polls meanwhile."""
        if self._conn is not None and not self._conn.closed:
            return
        try:
            self._conn = psycopg.connect(**self._conninfo, autocommit=True)
            self._conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            logger.warning("worker cannot LISTEN (polling instead): %r", exc)
            self._conn = None

    def _extra_fds(self) -> list[int]:
        self.listen()
        return [self._conn.fileno()] if self._conn is not None else []

    def _woken(self, ready: list[int]) -> bool:
        if self._conn is None or self._conn.fileno() not in ready:
            return True
        try:
            # Drain every notification that arrived: one wake-up is enough.
            notified = list(self._conn.notifies(timeout=0))
        except psycopg.Error as exc:
            logger.warning("worker lost its LISTEN connection: %r", exc)
            self._conn.close()
            return False
        return bool(notified) or self._read_fd in ready

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        super().close()


def conninfo_from(settings_dict: dict) -> dict:
    """psycopg.connect() arguments for Django's database settings."""
    info = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return {key: value for key, value in info.items() if value is not None}


def make_waiter():
    """A LISTENing waiter on PostgreSQL, a polling one elsewhere."""
    if connection.vendor == "postgresql":
        waiter = ListeningWaiter(conninfo_from(connection.settings_dict))
        waiter.listen()
        return waiter
    return PollingWaiter()
