"""How many changes a second one account's large deliveries may carry.

Deliveries with more than WEBHOOK_LARGE_DELIVERY_CHANGES changes are stored on
a lane of their own (webhooks/ingest.py), but their cost still lands on the
shared machine: the body read and parsed, the rows written, the WAL every
other account's commit waits for. Any user can read their own app's secret and
post the largest notifications allowed as fast as one connection goes, so each
account gets a token bucket of changes (WEBHOOK_LARGE_CHANGES_PER_SECOND, after
a burst of one delivery at the changes limit), per process. Beyond it:

- a large delivery is answered 503 (LivePerson retries it later, per its
  retry policy), after WEBHOOK_OVER_BUDGET_DELAY_SECONDS, so that a client
  waiting for each answer cannot turn the cheap refusals into a flood;
- a large body of that account is refused that way right after its signature
  is checked, before it is parsed;
- a refused notification with too many changes is charged the changes limit.
"""

import time
from collections import OrderedDict

from django.conf import settings

MAX_ACCOUNTS = 10_000


class OverBudgetError(Exception):
    """The account's large deliveries carry more changes a second than allowed."""


class ChangeBudget:
    """Per account, a token bucket of changes: `burst` at most, `per_second` more each second.

    Bounded like the refusal recorder's senders: the least recent accounts are forgotten.
    """

    def __init__(self, *, per_second: float, burst: int, clock=time.monotonic):
        self._rate, self._burst, self._clock = per_second, float(max(burst, per_second)), clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # account: (tokens, when)

    def take(self, account: str, changes: int) -> bool:
        """Spend `changes` if the account has them (True), else spend nothing (False)."""
        tokens = self._refilled(account)
        admitted = tokens >= changes
        self._store(account, tokens - changes if admitted else tokens)
        return admitted

    def charge(self, account: str, changes: int) -> None:
        """Spend `changes` whatever is left (down to empty)."""
        self._store(account, max(0.0, self._refilled(account) - changes))

    def exhausted(self, account: str) -> bool:
        """Whether not even a small large delivery would be admitted now."""
        tokens = self._refilled(account)
        self._store(account, tokens)
        return tokens < settings.WEBHOOK_LARGE_DELIVERY_CHANGES

    def _refilled(self, account: str) -> float:
        now = self._clock()
        tokens, updated = self._buckets.pop(account, (self._burst, now))
        return min(self._burst, tokens + (now - updated) * self._rate)

    def _store(self, account: str, tokens: float) -> None:
        self._buckets[account] = (tokens, self._clock())
        if len(self._buckets) > MAX_ACCOUNTS:
            self._buckets.popitem(last=False)


_large_changes: ChangeBudget | None = None


def large_changes() -> ChangeBudget:
    """This process's budget, with the settings' limits."""
    global _large_changes
    if _large_changes is None:
        _large_changes = ChangeBudget(
            per_second=settings.WEBHOOK_LARGE_CHANGES_PER_SECOND, burst=settings.WEBHOOK_MAX_CHANGES
        )
    return _large_changes


def reset() -> None:
    """Forget every account's spending (tests)."""
    global _large_changes
    _large_changes = None
