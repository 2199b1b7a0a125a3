"""One conversation's events for one subscriber: in seq order, each once.

Events are numbered 1, 2, 3... per conversation when they are committed. Their
broadcasts may still arrive out of order: two daphne processes commit seq 5 and
6 a moment apart and publish on their own, so 6 can come first. Going to the
database at every such gap made each reordering a query, and with two
processes at full load the subscribers spent their time catching up
(docs/PERFORMANCE.md, "Two processes"). So an event after
a gap is held for a moment (WEBHOOK_GAP_WAIT_SECONDS); the missing one usually
arrives by itself, and only when it does not (a message really lost: a full
channel, Redis away) does the subscriber ask the database, which has every
committed event.
"""

import asyncio
from collections.abc import Awaitable, Callable

from django.conf import settings


class EventOrder:
    """What a subscriber may send next, and a timer that fills gaps from the database.

    `fill_gap` is the subscriber's catch-up: it reads the events after
    `last_seq` from the database and passes them to `from_database`.
    `call_later` schedules the gap's timer (the running loop's by default); the
    tests pass one they expire by hand, so that no test sleeps past the wait.
    """

    def __init__(
        self,
        last_seq: int,
        fill_gap: Callable[[], Awaitable[None]],
        *,
        call_later: Callable[[float, Callable[[], None]], asyncio.TimerHandle] | None = None,
    ):
        self.last_seq = last_seq
        self._fill_gap = fill_gap
        self._call_later = call_later
        self._held: dict[int, dict] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._filling: asyncio.Task | None = None

    def live(self, events: list[dict]) -> list[dict]:
        """Of a broadcast's events and those held, the ones that now follow `last_seq`.

        The rest wait for what comes before them, at most WEBHOOK_GAP_WAIT_SECONDS.
        """
        for event in events:
            if event["seq"] > self.last_seq:
                self._held.setdefault(event["seq"], event)
        ready = self._release()
        self._arm_or_disarm()
        return ready

    def from_database(self, events: list[dict]) -> list[dict]:
        """Events read from the database after `last_seq`, then any held that follow them.

        The database has every committed event, so these are sent as they are,
        even where they skip numbers (the retention cleanup deletes old ones).
        """
        fresh = [event for event in events if event["seq"] > self.last_seq]
        if fresh:
            self.last_seq = fresh[-1]["seq"]
        for seq in [seq for seq in self._held if seq <= self.last_seq]:
            del self._held[seq]
        ready = fresh + self._release()
        self._arm_or_disarm()
        return ready

    def caught_up(self) -> list[dict]:
        """The database has nothing after `last_seq`: whatever is still held goes now."""
        ready = [self._held[seq] for seq in sorted(self._held)]
        self._held.clear()
        if ready:
            self.last_seq = ready[-1]["seq"]
        self._arm_or_disarm()
        return ready

    @property
    def waiting(self) -> bool:
        """Whether events are held behind a gap."""
        return bool(self._held)

    def close(self) -> None:
        self._held.clear()
        self._arm_or_disarm()
        if self._filling is not None:
            self._filling.cancel()

    def _release(self) -> list[dict]:
        ready = []
        while (event := self._held.pop(self.last_seq + 1, None)) is not None:
            ready.append(event)
            self.last_seq = event["seq"]
        return ready

    def _arm_or_disarm(self) -> None:
        if self._held and self._timer is None:
            call_later = self._call_later or asyncio.get_running_loop().call_later
            self._timer = call_later(settings.WEBHOOK_GAP_WAIT_SECONDS, self._gap_persisted)
        elif not self._held and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _gap_persisted(self) -> None:
        self._timer = None
        if self._filling is None or self._filling.done():
            self._filling = asyncio.get_running_loop().create_task(self._fill_gap())
