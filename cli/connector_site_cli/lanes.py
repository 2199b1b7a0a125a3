"""One lane per conversation: each conversation's notifications are forwarded in
order, and one that the local server keeps refusing holds up only its own
conversation. A notification spanning several conversations waits until it
heads every one of their lanes, and is posted once.

Cancelling a lane (a lost connection, Ctrl-C) never loses the outcome of a POST
already sent: the lane waits for its answer and records a 2xx before it stops,
so a restart sends again only what the local server never acknowledged.
"""

import asyncio
from collections.abc import Awaitable, Callable


class _Joint:
    """A notification in several lanes: the last lane to reach it posts it."""

    def __init__(self, frame: dict, lanes: int):
        self.frame, self.waiting = frame, lanes
        self.done = asyncio.Event()


class Lanes:
    def __init__(self, forward: Callable[[dict], Awaitable[None]]):
        self._forward = forward
        self._queues: dict[str, asyncio.Queue] = {}
        self._tasks: list[asyncio.Task] = []

    def put(self, frame: dict) -> None:
        conversations = sorted(frame["positions"]) or ["-"]
        if len(conversations) == 1:
            return self._lane(conversations[0]).put_nowait(frame)
        joint = _Joint(frame, len(conversations))
        for conversation in conversations:
            self._lane(conversation).put_nowait(joint)

    def _lane(self, conversation: str) -> asyncio.Queue:
        if conversation not in self._queues:
            self._queues[conversation] = asyncio.Queue()
            self._tasks.append(asyncio.get_running_loop().create_task(self._run(self._queues[conversation])))
        return self._queues[conversation]

    async def _run(self, queue: asyncio.Queue) -> None:
        while True:
            item = await queue.get()
            if not isinstance(item, _Joint):
                await self._forward(item)
                continue
            item.waiting -= 1
            if item.waiting:
                await item.done.wait()
            else:
                await self._forward(item.frame)
                item.done.set()

    async def close(self) -> None:
        """Stop every lane; what is queued is dropped (the catch-up sends it again)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._queues.clear()
