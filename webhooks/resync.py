"""One periodic check per process for the subscribers of every watched conversation.

A subscriber may miss a channel-layer message (a full channel, Redis down) when
nothing else happens in its conversation afterwards, so now and then someone
must compare what it sent with the database. Each socket asking on its own
costs a query per socket per period, which with thousands of idle sockets kept
daphne busy doing nothing else (docs/PERFORMANCE.md). Here one task per event
loop asks once per period for the newest seq of every conversation watched in
this process, and only subscribers that are behind catch up. Every socket that
streams a conversation's events registers here (webhooks/streaming.py); none
runs a timer of its own.
"""

import asyncio
import logging
import weakref
from collections import defaultdict

from django.conf import settings

from core.offloop import off_loop
from webhooks import selectors

logger = logging.getLogger(__name__)


class ResyncWatch:
    """The subscribers of one event loop, by conversation pk, and the task checking them."""

    def __init__(self):
        self.subscribers: dict[int, set] = defaultdict(set)
        self.task: asyncio.Task | None = None

    def add(self, conversation_pk: int, subscriber) -> None:
        self.subscribers[conversation_pk].add(subscriber)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, conversation_pk: int, subscriber) -> None:
        watchers = self.subscribers.get(conversation_pk)
        if watchers is None:
            return
        watchers.discard(subscriber)
        if not watchers:
            del self.subscribers[conversation_pk]
        if not self.subscribers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.WEBHOOK_RESYNC_SECONDS)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - the database may be away; try again next period
                logger.exception("checking subscribers for missed events failed")

    async def check(self) -> None:
        """Tell each subscriber still behind its conversation's newest seq to catch up."""
        if not self.subscribers:
            return
        newest = await off_loop(selectors.newest_seqs)(pks=list(self.subscribers))
        # Under load, every subscriber is a few events behind the database at
        # any instant: those events are on their way. Catching up all of them
        # every period put a burst of queries into the live path; a subscriber
        # that has not received them a moment later has missed them.
        await asyncio.sleep(settings.WEBHOOK_RESYNC_GRACE_SECONDS)
        for pk, watchers in list(self.subscribers.items()):
            for subscriber in list(watchers):
                if subscriber.last_seq < newest.get(pk, 0):
                    logger.info("subscriber of conversation %s missed events; catching up", pk)
                    asyncio.get_running_loop().create_task(subscriber.catch_up())


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ResyncWatch]" = weakref.WeakKeyDictionary()


def watch() -> ResyncWatch:
    """This event loop's watch (daphne runs one loop; tests may run several)."""
    loop = asyncio.get_running_loop()
    if loop not in _watches:
        _watches[loop] = ResyncWatch()
    return _watches[loop]
