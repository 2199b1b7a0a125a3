"""connector-site listen | tail | replay (docs/FORWARDING.md)."""

import argparse
import asyncio
import json
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from websockets.exceptions import InvalidHandshake, WebSocketException

from connector_site_cli.lanes import Lanes
from connector_site_cli.local import LocalServer, Result
from connector_site_cli.state import Cursor, StateFile, default_path
from connector_site_cli.stream import Stream, StreamRefused, TokenRefused

TOKEN_VARIABLE = "CONNECTOR_SITE_TOKEN"
SITE_VARIABLE = "CONNECTOR_SITE_URL"
DELIVERY_HEADER = "X-Connector-Site-Delivery"
BACKOFF_SECONDS = (0.5, 1, 2, 4, 8, 15, 30)
REFUSED = 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="connector-site", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    listen = commands.add_parser("listen", help="forward every notification to a local URL")
    listen.add_argument("--forward-to", required=True, metavar="URL", help="your server's webhook URL")
    tail = commands.add_parser("tail", help="print every notification as a JSON line")
    for command in (listen, tail):
        _common(command)
        command.add_argument("--app", default="", metavar="CLIENT_ID", help="only this app's notifications")
        command.add_argument("--conversation", default="", metavar="ID", help="only this conversation's")
        command.add_argument("--since", metavar="TIME|DELIVERY", help="start at an ISO time or a delivery id")
        command.add_argument("--only-new", action="store_true", help="skip what arrived before now")
        command.add_argument("--state-file", type=Path, metavar="PATH", help="where to remember the position")
    replay = commands.add_parser("replay", help="post one stored delivery to a local URL")
    replay.add_argument("delivery", type=int, metavar="DELIVERY", help="the delivery's number on the site")
    replay.add_argument("--to", required=True, metavar="URL", help="your server's webhook URL")
    _common(replay)
    return top


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--site", default=os.environ.get(SITE_VARIABLE, "http://127.0.0.1:8000"), metavar="URL"
    )
    command.add_argument(
        "--token", default=None, help=f"an access token; better in ${TOKEN_VARIABLE} (not in shell history)"
    )


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.token = args.token or os.environ.get(TOKEN_VARIABLE, "")
    if not args.token:
        sys.exit(f"connector-site: no token: set {TOKEN_VARIABLE} or pass --token")
    run = {"listen": listen, "tail": tail, "replay": replay}[args.command]
    try:
        sys.exit(asyncio.run(run(args)))
    except KeyboardInterrupt:
        sys.exit(130)


# --- listen and tail ------------------------------------------------------------


class Session:
    """What `listen` and `tail` share: the subscription, the cursor and its file."""

    def __init__(self, args, *, remember_by_default: bool):
        path = args.state_file
        if path is None and remember_by_default:
            path = default_path(args.site, args.app, args.conversation)
        self.args, self.state = args, StateFile(path)
        self.cursor = None if (args.only_new or args.since) else self.state.load()
        self.first = True

    def subscribe_message(self) -> dict:
        message = {"type": "subscribe", "app": self.args.app, "conversation": self.args.conversation}
        if self.cursor is not None:
            message["cursor"] = self.cursor.as_json()
        elif self.args.since and self.args.since.isdigit():
            message["since_delivery"] = int(self.args.since)
        elif self.args.since:
            message["since"] = _iso(self.args.since)
        return message

    async def subscribe(self, stream: Stream):
        await stream.send(self.subscribe_message())
        frames = stream.frames()
        async for frame in frames:
            if frame["type"] == "subscribed":
                if self.cursor is None:
                    self.cursor = Cursor(frame["origin"])
                    self.state.save(self.cursor)
                return frames
        raise ConnectionError("the site closed the stream")

    def done(self, frame: dict) -> None:
        self.cursor.advance(frame["positions"])
        self.state.save(self.cursor)


async def connected(session: Session, handle) -> int:
    """Connect, catch up, stream; again after each lost connection, with backoff."""
    failures = 0
    while True:
        try:
            async with Stream(session.args.site, session.args.token) as stream:
                frames = await session.subscribe(stream)
                failures = 0
                await handle(frames)
            _error("lost the site (the connection closed)")
        except TokenRefused:
            _error("the site refused the token: it is unknown, revoked, or not allowed to forward")
            return REFUSED
        except StreamRefused as exc:
            _error(f"the site refused the subscription: {exc}")
            return REFUSED
        except (OSError, WebSocketException, InvalidHandshake, ConnectionError) as exc:
            _error(f"lost the site ({_reason(exc)})")
        delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
        failures += 1
        _error(f"connecting again in {delay} s; catching up from where it stopped")
        await asyncio.sleep(delay)


async def listen(args) -> int:
    session = Session(args, remember_by_default=True)
    target = LocalServer(args.forward_to)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="post")
    _note(f"forwarding {args.site} to {args.forward_to}")

    async def forward_one(frame: dict) -> None:
        await forward(frame, target, executor, on_success=session.done)

    async def handle(frames):
        lanes = Lanes(forward_one)
        try:
            async for frame in frames:
                if frame["type"] == "live":
                    _note("caught up; waiting for webhooks")
                elif frame["type"] == "notification" and not session.cursor.covers(frame["positions"]):
                    lanes.put(frame)
        finally:
            await lanes.close()

    return await stopping_on_signals(connected(session, handle))


async def stopping_on_signals(work) -> int:
    """Ctrl-C or SIGTERM cancel the work: safe at any moment, since a lane records
    the outcome of a POST it sent before it stops (connector_site_cli.lanes)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        _note("stopped")
        return 0


async def forward(frame: dict, target: LocalServer, executor, *, on_success) -> Result:
    """POST until the local server accepts it (the conversation's next waits for this one)."""
    body = frame["body"].encode()
    headers = {**frame["headers"], DELIVERY_HEADER: str(frame["delivery"])}
    headers.setdefault("content-type", "application/json")
    attempt = 0
    loop = asyncio.get_running_loop()

    def post_and_record() -> Result:
        result = target.post(body, headers)
        if result.ok:
            # Recorded in the POST's thread, before it takes the next POST: the state
            # file's atomic write was a third of the CLI's time on the event loop
            # (py-spy at 500/s; docs/PERFORMANCE.md), and its syscalls release the GIL.
            on_success(frame)
        return result

    while True:
        posting = loop.run_in_executor(executor, post_and_record)
        try:
            result = await asyncio.shield(posting)
        except asyncio.CancelledError:
            # Stopped mid-POST: wait for the answer, so that a 2xx is recorded (or
            # the restart would send it again), then stop.
            await posting
            raise
        delay = None if result.ok else BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
        print(line(frame, result, retry_in=delay), flush=True)
        if delay is None:
            return result
        attempt += 1
        await asyncio.sleep(delay)


def line(frame: dict, result: Result, *, retry_in: float | None = None) -> str:
    """time, delivery, type, conversation, local status, local latency."""
    received = frame["received_at"][11:23]
    conversations = ",".join(frame["conversations"].values()) or "-"
    if result.status is None:
        outcome = f"!! {result.reason}"
    else:
        outcome = f"{result.status} {result.reason}" if result.ok else f"!! {result.status} {result.reason}"
    text = (
        f"{received}  #{frame['delivery']}  {webhook_type(frame)}  {conversations}"
        f"  -> {outcome}  {result.milliseconds:.1f} ms"
    )
    return text + (f"  (again in {retry_in} s)" if retry_in is not None else "")


def webhook_type(frame: dict) -> str:
    """The app's webhook name for it: the notification type, and a message's event type."""
    kind = frame.get("notification_type") or "-"
    events = [e for e in frame.get("event_types", ()) if e not in ("UPSERT", "DELETE")]
    return f"{kind}.{'+'.join(events)}" if events else kind


async def tail(args) -> int:
    session = Session(args, remember_by_default=False)

    async def handle(frames):
        async for frame in frames:
            if frame["type"] == "notification" and not session.cursor.covers(frame["positions"]):
                shown = {key: value for key, value in frame.items() if key not in ("type", "positions")}
                print(json.dumps(shown), flush=True)
                session.done(frame)

    return await connected(session, handle)


# --- replay ----------------------------------------------------------------------


async def replay(args) -> int:
    target = LocalServer(args.to)
    try:
        async with Stream(args.site, args.token) as stream:
            await stream.send({"type": "delivery", "id": args.delivery})
            frame = await stream.next_frame()
    except TokenRefused:
        _error("the site refused the token: it is unknown, revoked, or not allowed to forward")
        return REFUSED
    if frame.get("type") != "delivery":
        _error(f"delivery {args.delivery}: {frame.get('error', 'not found')}")
        return 1
    result = await asyncio.to_thread(
        target.post,
        frame["body"].encode(),
        {**frame["headers"], DELIVERY_HEADER: str(frame["delivery"])},
    )
    print(line(frame, result), flush=True)
    if result.body:
        print(result.body.decode("utf-8", "replace"), flush=True)
    return 0 if result.ok else 1


# --- Output ------------------------------------------------------------------------


def _iso(value: str) -> str:
    """--since as the site wants it: with an offset (a bare time is taken as local time)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        sys.exit(f"connector-site: --since {value!r} is neither an ISO time nor a delivery number")
    return (parsed if parsed.tzinfo else parsed.astimezone()).isoformat()


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _note(text: str) -> None:
    print(f"connector-site: {text}", file=sys.stderr, flush=True)


def _error(text: str) -> None:
    print(f"connector-site: {text}", file=sys.stderr, flush=True)
