"""The load generator: signed webhook POSTs over keep-alive HTTP/1.1.

Raw asyncio streams, not an HTTP library: the generator shares two cores with
the servers it measures, so each request must cost it as little as possible
(a few tens of microseconds: format, HMAC, write, parse a status line).

Two modes:
- open loop: requests are scheduled at a fixed rate whatever the answers
  (a slow server does not slow the schedule down), and ack latency is
  measured from the *scheduled* time, so queueing in the client counts too;
- closed loop: C connections, each sending its next request as soon as the
  previous one is answered -> the most the servers accept.
"""

import asyncio
import itertools
import ssl
import time
from collections import deque
from dataclasses import dataclass, field

from webhooks import payloads

WEBHOOK_PATH = "/notifications/event"
ERROR = 0  # "status" of a request that got no HTTP answer (reset, timeout)
REQUEST_TIMEOUT = 30.0


# --- Requests ---------------------------------------------------------------------


@dataclass
class App:
    """The installation the webhooks claim to come from."""

    account_id: str
    client_id: str
    secret: str


class WebhookFactory:
    """ContentEvent notifications, round-robin over conversations.

    Each carries a fresh `sequence` per conversation (LivePerson's identity of
    a message, so none is taken for a redelivery) and its sending time as the
    message text, "t=<time.time_ns()>", which subscribers turn into push latency.
    """

    def __init__(self, app: App, conversations: list[str], first_sequence: int = 1):
        self.app = app
        self.conversations = conversations
        self._turn = itertools.cycle(range(len(conversations)))
        self._sequences = [first_sequence] * len(conversations)

    def build(self, port: int, text: str | None = None) -> tuple[bytes, int]:
        """The whole HTTP request, and the index of its conversation."""
        webhook = self.webhook(text)
        return webhook.request(port), webhook.index

    def webhook(self, text: str | None = None) -> "Webhook":
        """The next notification, signed: sent as it is again when retried."""
        index = next(self._turn)
        sequence = self._sequences[index]
        self._sequences[index] += 1
        change = payloads.content(
            sequence, text=text or f"t={time.time_ns()}", conversation=self.conversations[index]
        )
        body = payloads.encode(payloads.messaging(change))
        headers = payloads.headers_for(
            body, account=self.app.account_id, client_id=self.app.client_id, secret=self.app.secret
        )
        return Webhook(index=index, sequence=sequence, body=body, headers=headers)


@dataclass
class Webhook:
    """One signed notification: conversation index, its `sequence`, body and headers."""

    index: int
    sequence: int
    body: bytes
    headers: dict

    def request(self, port: int) -> bytes:
        """The whole HTTP request to 127.0.0.1:port."""
        head = [
            f"POST {WEBHOOK_PATH} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            f"Content-Length: {len(self.body)}",
        ]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


# --- One keep-alive connection ---------------------------------------------------------


class Connection:
    """One HTTP/1.1 keep-alive connection; one request at a time (over TLS with `tls`: to nginx)."""

    def __init__(
        self,
        port: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tls: ssl.SSLContext | None = None,
    ):
        self.port = port
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self.usable = True

    @classmethod
    async def open(cls, port: int, tls: ssl.SSLContext | None = None) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
        return cls(port, reader, writer, tls)

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its whole response; the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = head.lower()
        length = _header(headers, b"content-length")
        if length is not None:
            await self.reader.readexactly(int(length))
        elif _header(headers, b"transfer-encoding") == b"chunked":
            await self._skip_chunked()
        else:
            self.usable = False  # the body ends when the server closes
        if _header(headers, b"connection") == b"close":
            self.usable = False
        return status

    async def _skip_chunked(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        self.usable = False
        self.writer.close()


def _header(head: bytes, name: bytes) -> bytes | None:
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    return head[start : head.index(b"\r\n", start)].strip()


async def _exchange_or_error(connection: Connection, request: bytes, timeout: float = REQUEST_TIMEOUT) -> int:
    try:
        return await asyncio.wait_for(connection.exchange(request), timeout)
    except (OSError, EOFError, ValueError, TimeoutError, asyncio.IncompleteReadError):
        connection.close()
        return ERROR


class Pool:
    """Idle connections to one port; opens more when all are busy (up to `limit`)."""

    def __init__(self, port: int, limit: int, tls: ssl.SSLContext | None = None):
        self.port = port
        self.limit = limit
        self.tls = tls
        self.opened = 0
        self.most_open = 0
        self._idle: list[Connection] = []
        self._waiters: deque[asyncio.Future] = deque()

    async def prewarm(self, count: int) -> None:
        connections = [await self.acquire() for _ in range(min(count, self.limit))]
        for connection in connections:
            self.release(connection)

    async def acquire(self) -> Connection:
        while True:
            if self._idle:
                return self._idle.pop()
            if self.opened < self.limit:
                self.opened += 1
                self.most_open = max(self.most_open, self.opened)
                try:
                    return await Connection.open(self.port, self.tls)
                except BaseException:
                    self.opened -= 1
                    self._wake_one()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def release(self, connection: Connection) -> None:
        if connection.usable:
            self._idle.append(connection)
        else:
            connection.close()
            self.opened -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


# --- Results ------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What the generator saw: one (status, ack latency s, conversation index) per request."""

    requests: list[tuple[int, float, int]] = field(default_factory=list)
    elapsed: float = 0.0
    cpu_seconds: float = 0.0
    lag: list[float] = field(default_factory=list)  # open loop: actual - scheduled send time
    connections: int = 0

    def accepted_by_conversation(self, count: int) -> list[int]:
        accepted = [0] * count
        for status, _, index in self.requests:
            if status == 200:
                accepted[index] += 1
        return accepted


# --- Open loop ------------------------------------------------------------------------


async def open_loop(
    factory: WebhookFactory,
    ports: list[int],
    rate: float,
    duration: float,
    max_connections: int = 512,
    tls: ssl.SSLContext | None = None,
) -> LoadResult:
    """`rate` requests/s for `duration` s, on schedule, spread round-robin over `ports`."""
    pools = [Pool(port, max(1, max_connections // len(ports)), tls) for port in ports]
    for pool in pools:
        await pool.prewarm(4)
    result = LoadResult()
    total = int(rate * duration)
    cpu_start = time.process_time()
    start = time.perf_counter() + 0.01
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pool = pools[i % len(pools)]
        tasks.append(asyncio.create_task(_scheduled_request(pool, factory, scheduled, result)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - start
    result.cpu_seconds = time.process_time() - cpu_start
    result.connections = sum(pool.most_open for pool in pools)
    for pool in pools:
        pool.close()
    return result


async def _scheduled_request(pool: Pool, factory: WebhookFactory, scheduled: float, result: LoadResult):
    try:
        connection = await pool.acquire()
    except OSError:
        result.requests.append((ERROR, time.perf_counter() - scheduled, -1))
        return
    request, index = factory.build(pool.port)
    result.lag.append(time.perf_counter() - scheduled)
    status = await _exchange_or_error(connection, request)
    result.requests.append((status, time.perf_counter() - scheduled, index))
    pool.release(connection)


# --- Closed loop -----------------------------------------------------------------------


async def closed_loop(
    factory: WebhookFactory,
    ports: list[int],
    concurrency: int,
    duration: float,
    tls: ssl.SSLContext | None = None,
) -> LoadResult:
    """`concurrency` connections, each sending as soon as its last request is answered."""
    connections = [await Connection.open(ports[i % len(ports)], tls) for i in range(concurrency)]
    result = LoadResult(connections=concurrency)
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(*(_keep_sending(c, factory, deadline, result) for c in connections))
    result.elapsed = time.perf_counter() - start
    result.cpu_seconds = time.process_time() - cpu_start
    return result


async def _keep_sending(connection: Connection, factory: WebhookFactory, deadline: float, result: LoadResult):
    """Requests started before the deadline all finish: their events must arrive too."""
    while time.perf_counter() < deadline:
        if not connection.usable:
            connection = await Connection.open(connection.port, connection.tls)
        request, index = factory.build(connection.port)
        sent = time.perf_counter()
        status = await _exchange_or_error(connection, request)
        result.requests.append((status, time.perf_counter() - sent, index))
    connection.close()
