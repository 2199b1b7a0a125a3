"""How many refused webhook requests each sender may have recorded.

Anyone can post to the webhook path. Recording every refused request would let
one client fill the database as fast as it can send; not recording any would
hide a misconfigured integration. Each sender's address (an IPv6 address by its
/64, which one host usually holds whole) gets a token bucket: a burst, then
WEBHOOK_REFUSED_RECORDS_PER_MINUTE. Beyond it a refused request is still
answered, only counted, and the next one recorded says how many were not.
Per process; the table of senders is bounded (the least recent are forgotten).
"""

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

MAX_SENDERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float
    unrecorded: int = 0


class RefusalRecorder:
    """Decides, per sender, whether a refused request is recorded."""

    def __init__(self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic):
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def admit(self, address: str) -> tuple[bool, int]:
        """(record it?, how many refused requests of this sender went unrecorded before it)."""
        key = sender_key(address)
        bucket = self._bucket(key)
        if bucket.tokens < 1:
            bucket.unrecorded += 1
            return False, 0
        bucket.tokens -= 1
        unrecorded, bucket.unrecorded = bucket.unrecorded, 0
        return True, unrecorded

    def _bucket(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket  # now the most recent
        if len(self._buckets) > MAX_SENDERS:
            self._buckets.popitem(last=False)
        return bucket

    def unrecorded_total(self) -> int:
        return sum(bucket.unrecorded for bucket in self._buckets.values())


def sender_key(address: str) -> str:
    """The address, or for IPv6 its /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


_recorder: RefusalRecorder | None = None


def recorder() -> RefusalRecorder:
    """This process's recorder, with the settings' limits."""
    global _recorder
    if _recorder is None:
        _recorder = RefusalRecorder(
            per_minute=settings.WEBHOOK_REFUSED_RECORDS_PER_MINUTE,
            burst=settings.WEBHOOK_REFUSED_RECORDS_BURST,
        )
    return _recorder


def reset() -> None:
    """Forget every sender (tests; a settings change)."""
    global _recorder
    _recorder = None
