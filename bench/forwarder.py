"""Benchmark of `connector-site listen`: `python -m bench.forwarder` (or `bin/bench-forwarder`).

Signed webhook POST to a real daphne -> stored, broadcast -> the forwarder
stream (/ws/forward/) -> the CLI, a real process -> POST received by a local
http.server. It measures (docs/PERFORMANCE.md, "Forwarding to a laptop"):

- latency from the webhook's sending to the local server's receipt, p50/p99,
  at each --rates (open loop; default 100 and 500 notifications/s);
- throughput through one forwarder: a backlog stored while it is stopped,
  drained on its restart;
- lost and duplicated notifications across a forwarder killed (SIGKILL) and
  restarted mid-stream: both must be 0.

Its own database (DATABASE_URL's name + "_benchfwd", recreated) and channel
prefix. `--smoke` runs each phase for a moment at a low rate (the test suite's
bench test); figures from a smoke run mean nothing.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench import database, http_load, procs
from bench.forwarder_harness import Forwarder, LocalReceiver
from bench.http_load import App, WebhookFactory
from bench.seed import ACCOUNT_ID, CLIENT_ID, SECRET
from bench.webhooks import app_env

TARGETS = {"p50_ms_at_100": 10.0, "p99_ms_at_100": 30.0, "throughput_per_s": 1000.0}
TOKEN_SCRIPT = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
django.setup()
from accounts import access_tokens
from accounts.models import User
user = User.objects.get(username="{account}:bench")
print(access_tokens.create(user, name="bench", scope="forward")[1])
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bin/bench-forwarder", description=__doc__.split("\n\n")[0])
    default_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connector_site")
    parser.add_argument("--database-url", default=_own_database(default_db))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--rates", default="100,500", help="notifications/s of the latency phases")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each latency phase")
    parser.add_argument("--backlog", type=int, default=20000, help="notifications of the throughput phase")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="a moment of each phase, at 20/s")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rates, args.seconds, args.backlog, args.conversations = "20", 2.0, 60, 4
    args.rates = [float(rate) for rate in args.rates.split(",")]
    return args


def _own_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "_benchfwd"))


def main(argv=None) -> None:
    args = parse_args(argv)
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2))
    if results["lost"] or results["duplicated"]:
        sys.exit(1)


async def run(args) -> dict:
    env = app_env(args.database_url, args.redis_url)
    database.recreate(args.database_url)
    database.migrate_and_seed(env)
    token = _token(env)
    receiver = LocalReceiver(secret=SECRET).start()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-forwarder-"))
    server = procs.start_daphne("connector_site.asgi:application", env, log_dir, [], "/health")
    state = log_dir / "state.json"
    factory = WebhookFactory(
        App(ACCOUNT_ID, CLIENT_ID, SECRET), [f"bench-fwd-{i}" for i in range(args.conversations)]
    )
    site = f"http://127.0.0.1:{server.port}"
    forwarder = None
    try:
        forwarder = _listen(site, receiver, state, token)
        results = {"rates": {}}
        for rate in args.rates:
            results["rates"][str(int(rate))] = await _latency(
                factory, server.port, receiver, rate, args.seconds
            )
        forwarder.stop()
        results["throughput"] = await _throughput(
            factory, server.port, receiver, args.backlog, site, state, token
        )
        forwarder = results["throughput"].pop("forwarder")
        results.update(
            await _kill_and_restart(factory, server.port, receiver, forwarder, site, state, token, args)
        )
        forwarder = results.pop("forwarder")
        results["lost"], results["duplicated"] = _lost_and_duplicated(args.database_url, receiver)
        results["targets"] = _targets(results)
        return results
    finally:
        if forwarder is not None:
            forwarder.stop()
        procs.stop_server(server)
        receiver.stop()
        if not args.keep_database:
            database.drop(args.database_url)


def _token(env: dict) -> str:
    script = TOKEN_SCRIPT.format(account=ACCOUNT_ID)
    made = subprocess.run(
        [sys.executable, "-c", script], cwd=procs.ROOT, env=env, check=True, capture_output=True, text=True
    )
    return made.stdout.strip().splitlines()[-1]


def _listen(site: str, receiver: LocalReceiver, state: Path, token: str) -> Forwarder:
    arguments = ["--site", site, "--forward-to", receiver.url, "--state-file", str(state)]
    forwarder = Forwarder("listen", *arguments, token=token, keep_lines=False)
    forwarder.wait_for_output("caught up")
    return forwarder


async def _send(factory, port: int, rate: float, seconds: float) -> int:
    result = await http_load.open_loop(factory, [port], rate, seconds)
    return sum(1 for status, _, _ in result.requests if status == 200)


async def _latency(factory, port, receiver, rate: float, seconds: float) -> dict:
    before = len(receiver.accepted)
    accepted = await _send(factory, port, rate, seconds)
    received = await asyncio.to_thread(receiver.wait_for, before + accepted, 60)
    latencies = sorted(_latency_ms(r) for r in received[before:])
    return {
        "sent": accepted,
        "received": len(received) - before,
        "p50_ms": round(_percentile(latencies, 50), 2),
        "p99_ms": round(_percentile(latencies, 99), 2),
    }


def _latency_ms(received) -> float:
    change = json.loads(received.body)["body"]["changes"][0]
    sent_ns = int(change["event"]["message"].removeprefix("t="))
    return (received.arrived_ns - sent_ns) / 1e6


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))]


async def _throughput(factory, port, receiver, backlog: int, site, state, token) -> dict:
    """A backlog stored while no forwarder runs, then drained by one."""
    before = len(receiver.accepted)
    result = await http_load.closed_loop(factory, [port], concurrency=8, duration=_seconds_for(backlog))
    accepted = sum(1 for status, _, _ in result.requests if status == 200)
    started = time.monotonic()
    forwarder = _listen(site, receiver, state, token)
    received = await asyncio.to_thread(receiver.wait_for, before + accepted, 300)
    elapsed = received[-1].at - started
    return {
        "backlog": accepted,
        "seconds": round(elapsed, 2),
        "per_s": round(accepted / elapsed),
        "forwarder": forwarder,
    }


def _seconds_for(backlog: int) -> float:
    # closed_loop runs for a time, not a count: about 1,000 accepted per second on one daphne.
    return max(1.0, backlog / 1000)


async def _kill_and_restart(factory, port, receiver, forwarder, site, state, token, args) -> dict:
    """Send at a steady rate; SIGKILL the forwarder halfway, while one POST of it waits
    for its answer; restart it; every notification must be answered 2xx exactly once.

    The POST in flight at the kill is never answered (the local server drops it):
    the forwarder cannot know whether it arrived and must send it again. Had it
    been answered just before the kill, no forwarder could tell either; the
    X-Connector-Site-Delivery header lets a server skip it (docs/FORWARDING.md)."""
    rate = min(args.rates)
    sending = asyncio.create_task(_send(factory, port, rate, args.seconds * 2))
    await asyncio.sleep(args.seconds)
    held, release = threading.Event(), threading.Event()

    def hold_one(received):
        if release.is_set():
            return 200
        held.set()
        release.wait(10)
        return None

    receiver.answer = hold_one
    await asyncio.to_thread(held.wait, 10)
    forwarder.process.send_signal(signal.SIGKILL)
    forwarder.process.wait(timeout=10)
    killed_at = len(receiver.accepted)
    release.set()
    forwarder = _listen(site, receiver, state, token)
    await sending
    return {"killed_at_received": killed_at, "forwarder": forwarder}


def _lost_and_duplicated(database_url: str, receiver: LocalReceiver) -> tuple[int, int]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        stored = {
            row[0] for row in connection.execute("SELECT id FROM webhooks_delivery WHERE event_count > 0")
        }
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stored <= {r.delivery for r in receiver.accepted}:
        time.sleep(0.2)
    ids = [r.delivery for r in receiver.accepted]
    return len(stored - set(ids)), len(ids) - len(set(ids))


def _targets(results: dict) -> list[dict]:
    at_100 = results["rates"].get("100")
    checks = []
    if at_100:
        checks.append(
            {"target": "p50 <= 10 ms at 100/s", "pass": at_100["p50_ms"] <= TARGETS["p50_ms_at_100"]}
        )
        checks.append(
            {"target": "p99 <= 30 ms at 100/s", "pass": at_100["p99_ms"] <= TARGETS["p99_ms_at_100"]}
        )
    per_s = results["throughput"]["per_s"]
    checks.append(
        {"target": ">= 1,000/s through one forwarder", "pass": per_s >= TARGETS["throughput_per_s"]}
    )
    checks.append(
        {"target": "0 lost, 0 duplicated", "pass": not results["lost"] and not results["duplicated"]}
    )
    return checks


if __name__ == "__main__":
    main()
