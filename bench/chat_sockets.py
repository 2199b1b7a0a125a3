"""The measured part: one socket per conversation on ws/chat/<pk>/, as the chat page
opens it (session cookie, Origin), sending texts on a jittered schedule and timing
the frames that answer them (protocol: chat/consumers.py).

Per message, on one monotonic clock in this process, from just before the
{"action": "send_text"} frame is written:
- sent: to the {"type": "sent"} frame carrying its ref (the app's Send API call
  to the sandbox is done);
- own: to the consumer's own ContentEvent arriving back in an "events" frame
  (the sandbox's webhook for it reached the app and was pushed to the socket);
- echo: to the scripted agent's "You said: <text>" ContentEvent (role
  ASSIGNED_AGENT) in an "events" frame.
Every conversation sends on its own schedule, all at once: a random start within
the first interval, then interval × (1 ± jitter) between sends, whatever the
answers (open loop: a slow server does not slow the schedule down). A scenario's
texts name it, so that a late answer to an earlier scenario is not counted.
"""

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

ECHO_PREFIX = "You said: "
OPEN_TIMEOUT = 30.0
MAX_FRAME_BYTES = 64 * 1024 * 1024  # a fresh socket's catch-up sends every stored event


@dataclass
class Message:
    text: str
    sent_at: float
    acked_at: float | None = None
    own_at: float | None = None
    echoed_at: float | None = None
    error: str = ""

    @property
    def settled(self) -> bool:
        """Nothing more to wait for: answered and echoed, or refused."""
        return bool(self.error) or (self.acked_at is not None and self.echoed_at is not None)


@dataclass
class Plan:
    label: str  # in every text of the scenario
    messages: int
    interval: float
    jitter: float
    seed: int


@dataclass
class ChatSocket:
    """One conversation's socket: what it sent, and when each answer came back."""

    index: int
    ws: object
    messages: list[Message] = field(default_factory=list)
    echoes: set[str] = field(default_factory=set)  # every echoed text, the warm-up's too
    stray_errors: list[str] = field(default_factory=list)  # "error" frames without our ref
    closed: str = ""
    _by_ref: dict[str, Message] = field(default_factory=dict)
    _by_text: dict[str, Message] = field(default_factory=dict)

    def new_scenario(self) -> None:
        """Forget the last scenario's messages (their late answers are then ignored)."""
        self.messages, self.stray_errors = [], []
        self._by_ref, self._by_text = {}, {}

    async def send_text(self, text: str) -> None:
        """Send `text` (unique: it is also the ref) and start its clock."""
        message = Message(text=text, sent_at=time.perf_counter())
        self.messages.append(message)
        self._by_ref[text] = message
        self._by_text[text] = message
        await self.ws.send(json.dumps({"action": "send_text", "ref": text, "text": text}))

    async def read(self) -> None:
        """Time every frame as it arrives, until the socket closes."""
        try:
            async for raw in self.ws:
                self._frame(json.loads(raw), time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - a dropped socket is a result, counted
            self.closed = repr(exc)
            return
        self.closed = f"closed by the server: {self.ws.close_code} {self.ws.close_reason}".strip()

    def _frame(self, frame: dict, now: float) -> None:
        kind = frame.get("type")
        if kind == "sent":
            message = self._by_ref.get(frame.get("ref"))
            if message is not None and message.acked_at is None:
                message.acked_at = now
        elif kind == "error":
            message = self._by_ref.get(frame.get("ref"))
            if message is None:
                self.stray_errors.append(str(frame.get("message")))
            else:
                message.error = str(frame.get("message") or "error")
        elif kind == "events":
            for event in frame.get("events", ()):
                self._event(event, now)

    def _event(self, event: dict, now: float) -> None:
        change = event.get("payload") or {}
        content = change.get("event") or {}
        text = content.get("message")
        if content.get("type") != "ContentEvent" or not isinstance(text, str):
            return
        role = (change.get("originatorMetadata") or {}).get("role")
        if role == "ASSIGNED_AGENT" and text.startswith(ECHO_PREFIX):
            text = text[len(ECHO_PREFIX) :]
            self.echoes.add(text)
            _stamp(self._by_text.get(text), "echoed_at", now)
        elif role == "CONSUMER":
            _stamp(self._by_text.get(text), "own_at", now)


def _stamp(message: Message | None, name: str, now: float) -> None:
    """The first arrival counts (a catch-up may send an event again after a reconnect)."""
    if message is not None and getattr(message, name) is None:
        setattr(message, name, now)


# --- Opening, warming up, closing ---------------------------------------------------


async def open_all(urls: list[str], *, cookie: str, origin_of) -> tuple[list[ChatSocket], list[asyncio.Task]]:
    """Connect every socket (concurrently) and start reading each."""
    connections = await asyncio.gather(*(_connect(url, cookie, origin_of(url)) for url in urls))
    sockets = [ChatSocket(index=i, ws=ws) for i, ws in enumerate(connections)]
    return sockets, [asyncio.create_task(s.read()) for s in sockets]


async def _connect(url: str, cookie: str, origin: str):
    headers = {"Origin": origin, "Cookie": f"sessionid={cookie}"}
    return await connect(url, additional_headers=headers, open_timeout=OPEN_TIMEOUT, max_size=MAX_FRAME_BYTES)


async def wait_for_echoes(sockets: list[ChatSocket], texts: list[str], timeout: float) -> None:
    """Until every conversation shows the agent's echo of its first message (or TimeoutError):
    the app, the worker's dispatcher and agent and every socket are then warm."""
    async with asyncio.timeout(timeout):
        while not all(text in s.echoes for s, text in zip(sockets, texts, strict=True)):
            await asyncio.sleep(0.05)


async def close_all(sockets: list[ChatSocket], readers: list[asyncio.Task]) -> None:
    for reader in readers:
        reader.cancel()
    for chat in sockets:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(chat.ws.close(), 2)


# --- The load -----------------------------------------------------------------------


async def converse_all(sockets: list[ChatSocket], plan: Plan) -> float:
    """Every conversation sends `plan.messages` texts at once; the seconds it took."""
    rng = random.Random(plan.seed)
    schedules = [_schedule(rng, plan) for _ in sockets]
    for chat in sockets:
        chat.new_scenario()
    started = time.perf_counter()
    await asyncio.gather(
        *(_converse(s, plan.label, pauses) for s, pauses in zip(sockets, schedules, strict=True))
    )
    return time.perf_counter() - started


def _schedule(rng: random.Random, plan: Plan) -> list[float]:
    """Pauses before each send: a random start within the first interval, then jittered ones."""
    first = rng.uniform(0, plan.interval)
    spread = [plan.interval * rng.uniform(1 - plan.jitter, 1 + plan.jitter) for _ in range(plan.messages - 1)]
    return [first, *spread]


async def _converse(chat: ChatSocket, label: str, pauses: list[float]) -> None:
    for number, pause in enumerate(pauses):
        await asyncio.sleep(pause)
        if chat.closed:
            return  # counted: its messages never sent are missing from `sent`
        await chat.send_text(f"bench {label} {chat.index}-{number}")


async def drain(sockets: list[ChatSocket], timeout: float) -> None:
    """Until every message is settled, or `timeout` s (what is left then is missing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(m.settled for s in sockets for m in s.messages):
            return
        await asyncio.sleep(0.05)
