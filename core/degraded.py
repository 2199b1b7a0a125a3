"""Fallbacks in use in this process, for GET /health and the log.

Some speed-ups rely on other projects' internals or optional parts:
channels_redis's shards for one Redis pipeline per broadcast
(webhooks/group_send.py), Twisted's switch for skipping form parsing
(connector_site/daphne_tuning.py), uvloop (connector_site/serve.py).
When an upgrade takes one away, the code falls back to the supported, slower
way. That must never be silent: `report` logs an error once per fallback and
/health lists it (200 "degraded": the service works, slower).
"""

import logging
import threading

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_active: dict[str, str] = {}


def report(name: str, reason: str) -> None:
    """Record that fallback `name` is in use, logging an error the first time."""
    with _lock:
        first = name not in _active
        _active[name] = reason
    if first:
        logger.error("degraded: %s: %s", name, reason)


def active() -> dict[str, str]:
    """Fallbacks in use: name -> why."""
    with _lock:
        return dict(_active)


def clear() -> None:
    """Forget every fallback (tests)."""
    with _lock:
        _active.clear()
