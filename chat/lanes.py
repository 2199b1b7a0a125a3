"""One socket's browser actions, in lanes that do not wait for each other.

Messages and commands go one after another in their order; receipts and chat states
each have a lane of their own, so that a slow LivePerson answering one of them never
holds a message back (docs/LIVEPERSON.md, 'Slow answers and duplicates'). The chat-state
lane keeps only the newest waiting one: a chat state queued behind a slow one is stale
by the time it could go, and only the newest says what the consumer is doing now.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable


class Lane:
    """Runs `run(item)` for offered items, one at a time, in a task of its own.

    At most `keep` items wait (older ones are dropped first); `keep=1` is "newest only".
    """

    def __init__(self, run: Callable[[dict], Awaitable[None]], *, keep: int):
        self._run = run
        self._waiting: deque[dict] = deque(maxlen=keep)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def offer(self, item: dict) -> None:
        self._waiting.append(item)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                await self._run(self._waiting.popleft())
