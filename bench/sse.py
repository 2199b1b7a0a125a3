"""Server-sent-event subscribers, in a process of their own: the push client for
LivePerson's original demo app (`bin/bench-vs-original`).

The original pushes each notification it receives for a conversation to that
conversation's one subscriber, `GET /subscribe/notifications/<conversation>/<app key>`
after a login (its session cookie), as `data: <the notification's JSON>` lines.
Each change's message text carries its send time ("t=<ns>", bench.http_load),
so push latency is receive - send on the same clock, as for the WebSocket
subscribers (bench.subscribers), whose pipe protocol and records this shares:
  child -> ("ready", None) | ("error", text)
  parent -> ("drain", [expected events per subscriber], timeout seconds)
  child -> ("done", {"records": [...], "drops": [...], "cpu_seconds": s})
A record is (sequence, subscriber index, received ns, sent ns); the original
numbers nothing, so the change's own `sequence` tells events apart.

Raw asyncio streams, as the generator's: an HTTP/1.1 GET, then the chunked
body parsed line by line. A dropped stream is counted, not reopened: the
original keeps one subscription per conversation and offers no catch-up.
"""

import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass, field

from bench.procs import raise_open_files_limit
from bench.subscribers import SubscriberProcess, _sent_ns

OPEN_TIMEOUT = 10.0


@dataclass
class SseSubscription:
    port: int
    path: str  # /subscribe/notifications/<conversation>/<app key>


@dataclass
class _State:
    subscription: SseSubscription
    records: list[tuple] = field(default_factory=list)
    sequences: set[int] = field(default_factory=set)
    drops: list[str] = field(default_factory=list)


# --- In the child process ---------------------------------------------------------


def child_main(pipe, subscriptions: list[SseSubscription], cookie: str) -> None:
    raise_open_files_limit()
    asyncio.run(_child(pipe, subscriptions, cookie))


async def _child(pipe, subscriptions: list[SseSubscription], cookie: str) -> None:
    states = [_State(subscription=s) for s in subscriptions]
    try:
        streams = [await asyncio.wait_for(_open(s.subscription, cookie), OPEN_TIMEOUT) for s in states]
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        pipe.send(("error", f"subscribing failed: {exc!r}"))
        return
    readers = [
        asyncio.create_task(_follow(state, index, reader))
        for index, (state, (reader, _)) in enumerate(zip(states, streams, strict=True))
    ]
    pipe.send(("ready", None))
    command, expected, timeout = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    if command != "drain":
        raise RuntimeError(f"unexpected command {command!r}")
    await _wait_for(states, expected, timeout)
    for reader in readers:
        reader.cancel()
    for _, writer in streams:
        writer.close()
    pipe.send(
        (
            "done",
            {
                "records": [state.records for state in states],
                "drops": [state.drops for state in states],
                "cpu_seconds": time.process_time(),
            },
        )
    )


async def _open(subscription: SseSubscription, cookie: str):
    """GET the stream; returns once the answer's head says 200 and the stream is open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", subscription.port)
    writer.write(
        (
            f"GET {subscription.path} HTTP/1.1\r\nHost: 127.0.0.1:{subscription.port}\r\n"
            f"Accept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
        ).encode("latin-1")
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{subscription.path} answered {head.splitlines()[0]!r}")
    if b"transfer-encoding: chunked" not in head.lower():
        raise RuntimeError(f"{subscription.path}: expected a chunked stream, got {head!r}")
    return reader, writer


async def _follow(state: _State, index: int, reader: asyncio.StreamReader) -> None:
    """Record each `data:` line's changes, until the stream ends."""
    pending = b""
    try:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                state.drops.append("the server ended the stream")
                return
            chunk = await reader.readexactly(size + 2)
            received = time.time_ns()
            pending += chunk[:-2]
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(b"data: {"):
                    _record(state, index, json.loads(line[6:]), received)
    except Exception as exc:  # noqa: BLE001 - a dropped stream is a result, not a crash
        state.drops.append(repr(exc))


def _record(state: _State, index: int, notification: dict, received: int) -> None:
    for change in (notification.get("body") or {}).get("changes") or ():
        sequence = change.get("sequence")
        state.records.append((sequence, index, received, _sent_ns({"payload": change})))
        state.sequences.add(sequence)


async def _wait_for(states: list[_State], expected: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(state.sequences) >= want for state, want in zip(states, expected, strict=True)):
            return
        await asyncio.sleep(0.02)


# --- In the parent ----------------------------------------------------------------


class SseSubscriberProcess(SubscriberProcess):
    """Starts the child, waits until every stream is open, collects the records
    (drain and stop are bench.subscribers.SubscriberProcess's)."""

    label = "SSE subscriber process"

    def __init__(self, subscriptions: list[SseSubscription], cookie: str, ready_timeout: float = 60.0):
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self.process = context.Process(
            target=child_main, args=(child_end, subscriptions, cookie), name="bench-sse", daemon=True
        )
        self.process.start()
        child_end.close()
        kind, detail = self._receive(ready_timeout)
        if kind != "ready":
            self.stop()
            raise RuntimeError(detail)
