"""WebSocket subscribers, in a process of their own.

They run apart from the load generator so that neither slows the other down
(each has a core's worth of event loop to itself when the servers allow).
For every event they record (seq, conversation, receive time, send time): the
send time travels in the message text ("t=<ns>"), so push latency is
receive - send on the same wall clock, without talking to the generator.
Like the page (static/webhooks/conversation.js), a subscriber whose socket is
dropped reconnects with ?after=<last seq>; the drops are reported.

The parent drives the process through a pipe:
  child -> ("ready", None) | ("error", text)
  parent -> ("drain", [expected events per subscriber], timeout seconds)
  child -> ("done", {"records": [...], "drops": [...], "cpu_seconds": s})
"""

import asyncio
import contextlib
import json
import multiprocessing
import ssl
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

from bench.procs import raise_open_files_limit

OPEN_TIMEOUT = 10.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a catch-up sends up to 500 events in one message


@dataclass
class Subscription:
    conversation_pk: int
    url: str  # ws://host:port/ws/conversations/<pk>/events/, without the query
    after: int  # the seq already seen (the warm-up event)
    # The same path on other daphnes, tried in turn when a reconnect fails (a
    # load balancer's failover): a killed daphne's subscribers move to another.
    fallback_urls: list[str] = field(default_factory=list)

    def url_at(self, attempt: int) -> str:
        urls = [self.url, *self.fallback_urls]
        return urls[attempt % len(urls)]


# --- In the child process ---------------------------------------------------------

# Close codes after which the browser gives up (static/webhooks/conversation.js).
FINAL_CLOSE_CODES = {4403, 4404}
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # the browser's back-off, in seconds
FIRST_CONNECT_ATTEMPTS = 5  # then the run fails: 1 + 2 + 4 + 8 s of back-off


# wss:// URLs (through nginx) are verified against this certificate authority (`cafile`).
_tls_context: ssl.SSLContext | None = None


def child_main(pipe, subscriptions: list[Subscription], cookie: str, cafile: str | None = None) -> None:
    """Entry point of the subscriber process."""
    global _tls_context  # noqa: PLW0603 - one per process, set once before any socket opens
    raise_open_files_limit()  # one socket per subscriber: thousands in the idle-subscribers scenario
    _tls_context = ssl.create_default_context(cafile=cafile) if cafile else None
    asyncio.run(_child(pipe, subscriptions, cookie))


async def _child(pipe, subscriptions: list[Subscription], cookie: str) -> None:
    headers = {"Origin": "http://127.0.0.1", "Cookie": f"sessionid={cookie}"}
    states = [_State(subscription=s, last_seq=s.after) for s in subscriptions]
    try:
        for state in states:
            state.ws = await _first_connect(state, headers)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        pipe.send(("error", f"subscribing failed: {exc!r}"))
        return
    readers = [asyncio.create_task(_follow(state, headers)) for state in states]
    pipe.send(("ready", None))
    command, expected, timeout = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    if command != "drain":
        raise RuntimeError(f"unexpected command {command!r}")
    await _wait_for(states, expected, timeout)
    for reader in readers:
        reader.cancel()
    for state in states:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(state.ws.close(), 2)
    result = {
        "records": [state.records for state in states],
        "drops": [state.drops for state in states],
        "connect_failures": [state.connect_failures for state in states],
        "cpu_seconds": time.process_time(),
    }
    pipe.send(("done", result))


@dataclass
class _State:
    """One subscriber: what it received, and its socket drops (reasons)."""

    subscription: Subscription
    last_seq: int
    ws: object = None
    records: list[tuple] = field(default_factory=list)
    seqs: set[int] = field(default_factory=set)
    drops: list[str] = field(default_factory=list)
    failed_reconnects: int = 0  # which URL to try next (Subscription.url_at)
    connect_failures: int = 0  # first connection attempts refused, before it opened


async def _connect(state: _State, headers: dict):
    url = f"{state.subscription.url_at(state.failed_reconnects)}?after={state.last_seq}"
    return await connect(
        url,
        additional_headers=headers,
        open_timeout=OPEN_TIMEOUT,
        max_size=MAX_MESSAGE_BYTES,
        ssl=_tls_context if url.startswith("wss:") else None,
    )


async def _first_connect(state: _State, headers: dict):
    """Open the socket, retrying a refused handshake after the browser's back-off, as the page does.

    daphne answers 403 to a handshake its application has not accepted within
    5 s (`--websocket_connect_timeout`), which a busy process does; the page
    then retries, so the benchmark does too, and counts the refusals.
    """
    delay = RETRY_FIRST
    for _attempt in range(FIRST_CONNECT_ATTEMPTS - 1):
        try:
            return await _connect(state, headers)
        except Exception:  # noqa: BLE001 - refused or timed out: back off, try again
            state.connect_failures += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)
    return await _connect(state, headers)


async def _follow(state: _State, headers: dict) -> None:
    """Record events; when the server drops the socket, reconnect as the browser does.

    The page reconnects after 1 s (doubling up to 30 s) with ?after=<last seq
    shown>, so a drop costs latency, not events; the drops are counted.
    """
    delay = RETRY_FIRST
    while True:
        await _record(state)
        if state.ws.close_code in FINAL_CLOSE_CODES:
            return
        while True:
            await asyncio.sleep(delay)
            try:
                state.ws = await _connect(state, headers)
            except Exception as exc:  # noqa: BLE001 - refused or timed out: back off, try again
                state.drops.append(f"reconnect failed: {exc!r}")
                state.failed_reconnects += 1
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            break


async def _record(state: _State) -> None:
    """Append (seq, conversation, received ns, sent ns) for each event, until the socket closes."""
    ws = state.ws
    try:
        async for message in ws:
            received = time.time_ns()
            for event in json.loads(message).get("events", ()):
                state.records.append((event["seq"], event["conversation"], received, _sent_ns(event)))
                state.seqs.add(event["seq"])
                state.last_seq = max(state.last_seq, event["seq"])
        state.drops.append(f"closed by the server: {ws.close_code} {ws.close_reason}".strip())
    except Exception as exc:  # noqa: BLE001 - a dropped socket is a result, not a crash
        state.drops.append(f"{ws.close_code}: {exc!r}")


def _sent_ns(event: dict) -> int | None:
    text = ((event.get("payload") or {}).get("event") or {}).get("message") or ""
    return int(text[2:]) if text.startswith("t=") and text[2:].isdigit() else None


async def _wait_for(states: list[_State], expected: list[int], timeout: float) -> None:
    """Until every subscriber has its expected events, or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(state.seqs) >= want for state, want in zip(states, expected, strict=True)):
            return
        await asyncio.sleep(0.02)


# --- In the parent ----------------------------------------------------------------


class SubscriberProcess:
    """Starts the child, waits until every socket is subscribed, collects the records."""

    label = "subscriber process"  # in errors: which child did not answer

    def __init__(
        self,
        subscriptions: list[Subscription],
        cookie: str,
        ready_timeout: float = 60.0,
        cafile: str | None = None,
    ):
        context = multiprocessing.get_context("spawn")  # no copy of the parent's event loop
        self._pipe, child_end = context.Pipe()
        self.process = context.Process(
            target=child_main,
            args=(child_end, subscriptions, cookie, cafile),
            name="bench-subscribers",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        kind, detail = self._receive(ready_timeout)
        if kind != "ready":
            self.stop()
            raise RuntimeError(detail)

    def drain(self, expected: list[int], timeout: float) -> dict:
        """Tell the child how many events each subscriber should get; its records."""
        self._pipe.send(("drain", expected, timeout))
        kind, detail = self._receive(timeout + 30)
        if kind != "done":
            raise RuntimeError(detail)
        return detail

    def _receive(self, timeout: float) -> tuple[str, object]:
        if not self._pipe.poll(timeout):
            return "error", f"the {self.label} did not answer in {timeout:.0f} s"
        try:
            return self._pipe.recv()
        except EOFError:
            return "error", f"the {self.label} died (exit code {self.process.exitcode})"

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(OSError):
            self._pipe.close()


def tally(expected: list[int], records: list[list[tuple]]) -> dict:
    """Each subscriber's records against the events it should have had.

    received counts distinct seqs, lost the expected ones missing, duplicates
    the events sent twice; push holds every latency in seconds.
    """
    received = lost = duplicates = 0
    push = []
    for want, got in zip(expected, records, strict=True):
        seqs = {record[0] for record in got}
        received += len(seqs)
        duplicates += len(got) - len(seqs)
        lost += max(0, want - len(seqs))
        push += [(arrived - sent) / 1e9 for _, _, arrived, sent in got if sent is not None]
    return {"received": received, "lost": lost, "duplicates": duplicates, "push": push}
