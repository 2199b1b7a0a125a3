"""Benchmark of the demo chat: `python -m bench.chat` (or `bin/bench-chat`).

Consumers send texts on ws/chat/<pk>/; the app calls the sandbox's Send API
(the "sent" frame), the worker's sandbox dispatcher and scripted agent post
the webhooks and the agent's echo, and the app pushes them back on the socket.
All real processes and sockets, the app reaching the sandbox only through its
CSDS configuration. See docs/PERFORMANCE.md ("The demo chat").
"""

import argparse
import asyncio
import contextlib
import datetime
import os
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench import chat_report, chat_sockets, database, procs, report
from bench.chat_site import Site
from bench.chat_sockets import Plan
from bench.procs import ROOT, CpuGroups, Server
from bench.webhooks import TUNABLES, app_env, machine_info

APP = "connector_site.asgi:application"
# Inherited settings that may tune what is measured (all others are dropped: bench.webhooks.app_env).
CHAT_TUNABLES = (*TUNABLES, "WORKER_", "SANDBOX_WEBHOOK_")
WARM_UP_TIMEOUT = 120.0


# --- Command line ---------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench-chat", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--processes", type=int, default=1, help="daphne processes (default 1)")
    add("--workers", type=int, default=1, help="`manage.py worker` processes (default 1)")
    add("--conversations", type=int, default=50, help="conversations sending at once (default 50)")
    add("--messages", type=int, default=20, help="texts each conversation sends (default 20)")
    add(
        "--interval",
        type=_intervals,
        default=[1.0],
        help="seconds between a conversation's texts (default 1); a list such as 5,1 runs one scenario"
        " per interval on the same conversations, in that order (the busiest last)",
    )
    add("--jitter", type=float, default=0.5, help="each pause is interval × (1 ± jitter) (default 0.5)")
    add("--drain", type=float, default=30.0, help="seconds answers may take after the last send (default 30)")
    add("--seed", type=int, default=1, help="random seed of the schedule (default 1)")
    add(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/connector_site_bench_chat",
        help="dropped and recreated: its name must contain 'bench'",
    )
    add("--redis-url", default="redis://127.0.0.1:6379/0")
    add("--output", type=Path, help="JSON results file (default bench/results/chat-<timestamp>.json)")
    add("--docs", type=Path, default=ROOT / "docs" / "PERFORMANCE.md", help="Markdown file to update")
    add("--no-docs", action="store_true", help="do not update docs/PERFORMANCE.md")
    add("--drop-database", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args(argv)
    if "bench" not in database.database_name(args.database_url):
        parser.error("--database-url: the database is dropped first, so its name must contain 'bench'")
    if args.processes < 1 or args.workers < 1 or args.conversations < 1 or args.messages < 1:
        parser.error("--processes, --workers, --conversations and --messages are at least 1")
    if not 0 <= args.jitter < 1:
        parser.error("--jitter is between 0 and 1")
    return args


def _intervals(text: str) -> list[float]:
    try:
        intervals = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        intervals = []
    if not intervals or min(intervals) <= 0:
        raise argparse.ArgumentTypeError("seconds above 0, or a list of them such as 5,1")
    return intervals


def log(message: str) -> None:
    print(f"[bench-chat {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Environment ---------------------------------------------------------------------


def chat_env(args: argparse.Namespace, port: int) -> dict:
    """bench.webhooks' production-like settings, with the sandbox on and CSDS pointing at
    the daphne on `port` (how the app reaches LivePerson: configuration only)."""
    env = app_env(args.database_url, args.redis_url)
    env.update(env_overrides())
    sandbox = f"127.0.0.1:{port}"
    env.update(
        SANDBOX_ENABLED="true",
        SANDBOX_HOST=sandbox,
        CSDS_DOMAIN=f"{sandbox}/sandbox/csds",
        CSDS_DOMAIN_QA=f"{sandbox}/sandbox/csds-qa",
        LIVEPERSON_SCHEME="http",
        SANDBOX_AGENT_DELAY_SCALE="0",  # the agent answers at once: only the machinery is timed
        LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS="0",  # and the app's webhooks work at once (sandbox_seed)
    )
    return env


def env_overrides() -> dict:
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(CHAT_TUNABLES)}


# --- Processes -----------------------------------------------------------------------


@dataclass
class Stack:
    """The servers of one run: daphnes (each its own sandbox host) and workers."""

    servers: list[Server]
    workers: list
    log_dir: Path

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]

    def log_tails(self) -> str:
        tails = [f"daphne on port {s.port}:\n{s.log_tail()}" for s in self.servers]
        for path in sorted(self.log_dir.glob("worker-*/worker.log")):
            tails.append(f"{path.parent.name}:\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(tails)


def start_stack(args, exits: contextlib.ExitStack, log_dir: Path) -> Stack:
    servers = []
    for _ in range(args.processes):
        port = procs.free_port()
        server = procs.start_daphne(APP, chat_env(args, port), log_dir, [], "/health", port=port)
        exits.callback(procs.stop_server, server)
        servers.append(server)
    workers = []
    for number in range(args.workers):
        worker_logs = log_dir / f"worker-{number}"
        worker_logs.mkdir()
        worker = procs.start_worker(chat_env(args, servers[0].port), worker_logs)
        exits.callback(procs.stop_process, worker)
        workers.append(worker)
    return Stack(servers=servers, workers=workers, log_dir=log_dir)


# --- The run -------------------------------------------------------------------------


def prepare(args, stack: Stack) -> tuple[Site, list[int], list[str]]:
    """Log in, create a demo app and start the conversations, all through the app's pages."""
    site = Site(f"http://127.0.0.1:{stack.ports[0]}")
    site.log_in()
    client_id = site.app_create(name=f"Chat benchmark {time.strftime('%H:%M:%S')}")
    log(f"logged in, demo app {client_id} created; starting {args.conversations} conversations")
    first_messages = [f"hello from conversation {i}" for i in range(args.conversations)]
    pks = [
        site.conversation_start(client_id=client_id, consumer_name=f"Bench {i}", first_message=text)
        for i, text in enumerate(first_messages)
    ]
    return site, pks, first_messages


async def measure(args, stack: Stack, cookie: str, pks: list[int], first_messages: list[str]) -> list[dict]:
    """Open the sockets, wait for the first echoes, then one scenario per interval."""
    urls = [f"ws://127.0.0.1:{stack.ports[i % len(stack.ports)]}/ws/chat/{pk}/" for i, pk in enumerate(pks)]
    sockets, readers = await chat_sockets.open_all(urls, cookie=cookie, origin_of=_origin)
    cpu = CpuGroups(
        [s.pid for s in stack.servers],
        database.database_name(args.database_url),
        urlsplit(args.redis_url).port or 6379,
        extra={"worker": [w.pid for w in stack.workers]},
    )
    summaries = []
    try:
        await chat_sockets.wait_for_echoes(sockets, first_messages, WARM_UP_TIMEOUT)
        log(f"{len(sockets)} sockets open, every first message echoed")
        for number, interval in enumerate(args.interval, start=1):
            plan = Plan(f"s{number}", args.messages, interval, args.jitter, args.seed + number)
            summaries.append(await scenario(args, sockets, plan, cpu))
            log(f"every {interval:g} s: {chat_report.line(summaries[-1])}")
    finally:
        await chat_sockets.close_all(sockets, readers)
    return summaries


async def scenario(args, sockets, plan: Plan, cpu: CpuGroups) -> dict:
    """Every conversation sends its texts, then the drain; the figures, CPU included."""
    since = datetime.datetime.now(datetime.UTC)
    before, client_before = cpu.sample(), time.process_time()
    elapsed = await chat_sockets.converse_all(sockets, plan)
    await chat_sockets.drain(sockets, args.drain)
    delta, client_cpu = procs.cpu_delta(before, cpu.sample()), time.process_time() - client_before
    timings = await asyncio.to_thread(database.sandbox_timings, args.database_url, since)
    return chat_report.summarize(
        sockets, plan, elapsed=elapsed, cpu=delta, timings=timings, client_cpu=client_cpu
    )


def _origin(url: str) -> str:
    """The page's origin for a socket URL (the app checks it against its allowed hosts)."""
    return f"http://{urlsplit(url).netloc}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as Ctrl-C does
    started = datetime.datetime.now(datetime.UTC)
    log(f"preparing database {database.database_name(args.database_url)}")
    database.recreate(args.database_url)
    setup_env = chat_env(args, procs.free_port())
    database.migrate(setup_env)
    # The app's webhooks at once, not after LivePerson's activation delay: only the machinery is timed.
    database.manage(setup_env, "sandbox_seed", "-v", "0", "--webhook-activation", "0")
    machine = machine_info(args)
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as logs, contextlib.ExitStack() as exits:
        stack = start_stack(args, exits, Path(logs))
        log(f"daphne ports {stack.ports}, {len(stack.workers)} worker(s)")
        try:
            site, pks, first_messages = prepare(args, stack)
            scenarios = asyncio.run(measure(args, stack, site.session_cookie, pks, first_messages))
        except KeyboardInterrupt:
            log("interrupted: stopping the servers")
            return 130
        except Exception:
            log(f"the run failed; the servers said:\n{stack.log_tails()}")
            raise
    result = _result(args, argv, started, machine, scenarios)
    _write(args, result)
    if args.drop_database:
        database.drop(args.database_url)
    return 0


def _result(args, argv, started, machine, scenarios) -> dict:
    arguments = sys.argv[1:] if argv is None else argv
    output = args.output or ROOT / "bench" / "results" / f"chat-{started:%Y%m%dT%H%M%SZ}.json"
    return {
        "started_at": f"{started:%Y-%m-%d %H:%M} UTC",
        "command": " ".join(["bin/bench-chat", *map(shlex.quote, arguments)]),
        "json_path": report.relative_to_root(output),
        "config": {
            "processes": args.processes,
            "workers": args.workers,
            "conversations": args.conversations,
            "messages": args.messages,
            "interval": args.interval,
            "jitter": args.jitter,
            "drain": args.drain,
            "seed": args.seed,
            "env_overrides": env_overrides(),
        },
        "machine": machine,
        "scenarios": scenarios,
        "targets": chat_report.targets(scenarios),
    }


def _write(args, result: dict) -> None:
    log(f"results: {report.save_results(result)}")
    for check in result["targets"]:
        log(f"target {check['target']}: {check['measured']} -> {check['pass']}")
    if not args.no_docs:
        chat_report.write_docs(args.docs, result)
        log(f"updated {args.docs}")


if __name__ == "__main__":
    sys.exit(main())
