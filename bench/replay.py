"""A LivePerson-like sender: every webhook is posted again until it is acknowledged.

LivePerson retries a notification that its endpoint answered with anything but
200/201, or did not answer (docs/WEBHOOKS.md, 'What LivePerson documents': retries 2 s,
4 s, 8 s... apart, at most 5 min; connect and read timeouts 5 s). This sender
does the same, with the delays multiplied by `retry_scale`, and sends the
same bytes each time (same `sequence`, so a retry of a webhook that was
stored but not acknowledged is a redelivery). When a daphne refuses
connections it moves to the other ports, as a load balancer would.

"Acknowledged" means answered 200 at some attempt: those events, and only
those, must all be stored once and delivered. Every attempt is kept as
(sent at, status, seconds to the answer), status 0 for a connection that
failed, reset or timed out (REFUSED when it could not even connect).
"""

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field

from bench.http_load import Pool, Webhook, WebhookFactory, _exchange_or_error

ACKNOWLEDGED = {200, 201}
REFUSED = -1  # "status" of an attempt that could not connect at all
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 300.0
ANSWER_TIMEOUT_SECONDS = 5.0  # LivePerson's read timeout
PORT_DOWN_SECONDS = 1.0  # how long a port that refused is left alone


@dataclass
class ReplayResult:
    """Everything the sender saw."""

    attempts: list[tuple[float, int, float]] = field(default_factory=list)  # (sent at s, status, latency s)
    acknowledged: list[tuple[int, int]] = field(default_factory=list)  # (conversation index, sequence)
    unacknowledged: list[tuple[int, int]] = field(default_factory=list)  # given up at the deadline
    elapsed: float = 0.0
    cpu_seconds: float = 0.0

    def acknowledged_by_conversation(self, count: int) -> list[int]:
        acknowledged = [0] * count
        for index, _ in self.acknowledged:
            acknowledged[index] += 1
        return acknowledged


class Ports:
    """The daphne ports, round-robin, skipping for a while a port that refused."""

    def __init__(self, ports: list[int]):
        self.ports = list(ports)
        self._turn = itertools.cycle(self.ports)
        self._down_until: dict[int, float] = {}

    def pick(self) -> int:
        now = time.monotonic()
        for _ in self.ports:
            port = next(self._turn)
            if self._down_until.get(port, 0.0) <= now:
                return port
        return next(self._turn)  # all down: keep trying them in turn

    def mark_down(self, port: int) -> None:
        self._down_until[port] = time.monotonic() + PORT_DOWN_SECONDS


class Replayer:
    """Posts webhooks with LivePerson's retries, over keep-alive connections to several ports."""

    def __init__(self, ports: list[int], *, retry_scale: float = 1.0, connections: int = 512):
        self.ports = Ports(ports)
        self.pools = {port: Pool(port, max(1, connections // len(ports))) for port in ports}
        self.retry_scale = retry_scale
        self.result = ReplayResult()
        self._start = time.perf_counter()
        self._cpu_start = time.process_time()

    def first_delay(self) -> float:
        return FIRST_RETRY_SECONDS * self.retry_scale

    def next_delay(self, delay: float) -> float:
        return min(delay * 2, MAX_RETRY_SECONDS * self.retry_scale)

    async def attempt(self, webhook: Webhook) -> int:
        """One POST to the next live port; its status (ERROR, REFUSED when no answer)."""
        port = self.ports.pick()
        pool = self.pools[port]
        try:
            connection = await asyncio.wait_for(pool.acquire(), ANSWER_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            self.ports.mark_down(port)
            self.result.attempts.append((time.perf_counter() - self._start, REFUSED, 0.0))
            return REFUSED
        sent = time.perf_counter()
        status = await _exchange_or_error(connection, webhook.request(port), ANSWER_TIMEOUT_SECONDS)
        self.result.attempts.append((sent - self._start, status, time.perf_counter() - sent))
        pool.release(connection)
        return status

    def acknowledge(self, webhook: Webhook) -> None:
        self.result.acknowledged.append((webhook.index, webhook.sequence))

    def give_up(self, webhook: Webhook) -> None:
        self.result.unacknowledged.append((webhook.index, webhook.sequence))

    def finish(self) -> ReplayResult:
        self.result.elapsed = time.perf_counter() - self._start
        self.result.cpu_seconds = time.process_time() - self._cpu_start
        for pool in self.pools.values():
            pool.close()
        return self.result

    # --- One webhook until acknowledged (open loop) ---

    async def deliver(self, webhook: Webhook, deadline: float) -> None:
        """Post until acknowledged, backing off; give up when the next try would pass `deadline`."""
        delay = self.first_delay()
        while await self.attempt(webhook) not in ACKNOWLEDGED:
            if time.perf_counter() + delay > deadline:
                return self.give_up(webhook)
            await asyncio.sleep(delay)
            delay = self.next_delay(delay)
        self.acknowledge(webhook)


async def open_loop(
    replayer: Replayer, factory: WebhookFactory, rate: float, duration: float, deadline: float
) -> ReplayResult:
    """New webhooks at `rate`/s for `duration` s, each posted until acknowledged or `deadline`
    (time.perf_counter()); returns once every one is settled."""
    start = time.perf_counter()
    tasks = []
    for i in range(int(rate * duration)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(replayer.deliver(factory.webhook(), deadline)))
    await asyncio.gather(*tasks)
    return replayer.finish()


# --- A backlog as fast as it is accepted (closed loop) ---


class Backlog:
    """`count` new webhooks, plus the refused ones waiting for their retry time."""

    def __init__(self, factory: WebhookFactory, count: int):
        self.factory = factory
        self.remaining = count
        self.in_flight = 0
        self._retries: list[tuple[float, int, Webhook, float]] = []  # (due, tie-break, webhook, delay)
        self._tie = itertools.count()

    def retry_later(self, webhook: Webhook, delay: float, next_delay: float) -> None:
        """Post it again in `delay` s; should that fail too, `next_delay` s after that."""
        heapq.heappush(self._retries, (time.perf_counter() + delay, next(self._tie), webhook, next_delay))

    async def take(self, replayer: Replayer, deadline: float) -> tuple[Webhook, float] | None:
        """The next webhook to post (a due retry first) and its next back-off; None when all are done."""
        while time.perf_counter() < deadline:
            if self._retries and self._retries[0][0] <= time.perf_counter():
                _, _, webhook, delay = heapq.heappop(self._retries)
                return webhook, delay
            if self.remaining > 0:
                self.remaining -= 1
                return self.factory.webhook(), replayer.first_delay()
            if not self._retries and not self.in_flight:
                return None
            await asyncio.sleep(0.01)
        return None

    def abandon(self, replayer: Replayer) -> None:
        """At the deadline: what still waits for a retry was never acknowledged."""
        for _, _, webhook, _ in self._retries:
            replayer.give_up(webhook)
        self._retries.clear()


async def closed_loop(
    replayer: Replayer, factory: WebhookFactory, count: int, concurrency: int, deadline: float
) -> ReplayResult:
    """`count` webhooks over `concurrency` connections, each posting its next one as soon as it
    has an answer: refused ones wait for their retry time without holding a connection back."""
    backlog = Backlog(factory, count)
    await asyncio.gather(*(_keep_posting(replayer, backlog, deadline) for _ in range(concurrency)))
    backlog.abandon(replayer)
    return replayer.finish()


async def _keep_posting(replayer: Replayer, backlog: Backlog, deadline: float) -> None:
    while (taken := await backlog.take(replayer, deadline)) is not None:
        webhook, delay = taken
        backlog.in_flight += 1
        try:
            if await replayer.attempt(webhook) in ACKNOWLEDGED:
                replayer.acknowledge(webhook)
            elif time.perf_counter() + delay > deadline:
                replayer.give_up(webhook)
            else:
                backlog.retry_later(webhook, delay, replayer.next_delay(delay))
        finally:
            backlog.in_flight -= 1
