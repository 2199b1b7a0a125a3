"""Benchmark of the webhook hot path: `python -m bench.webhooks` (or `bin/bench`).

Signed POST /notifications/event -> batched commit in PostgreSQL -> Channels
group_send through Redis -> WebSocket subscriber, all over real sockets and
processes. See docs/PERFORMANCE.md for what each figure means.
"""

import argparse
import asyncio
import contextlib
import datetime
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench import database, http_load, idle, plot, procs, report, scaleout
from bench.http_load import App, WebhookFactory
from bench.nginx import Nginx, start_nginx, stop_nginx
from bench.procs import ROOT, CpuGroups, Server
from bench.seed import ACCOUNT_ID, CLIENT_ID, SECRET
from bench.subscribers import SubscriberProcess, Subscription, tally

APP = "connector_site.asgi:application"
BARE_APP = "bench.bare_asgi:application"
# The app's own settings prefixes (connector_site/settings.py): inherited values are dropped so a
# developer's or the test suite's environment cannot change what is measured, except these tunables.
APP_PREFIXES = ("DJANGO_", "DATABASE_", "DB_", "REDIS_", "CHANNEL_", "SESSION_", "LOGIN_", "LOG_")
APP_PREFIXES += ("LIVEPERSON_", "CSDS_", "SANDBOX_", "FIELD_", "PUBLIC_", "WEBHOOK_")
TUNABLES = ("WEBHOOK_", "DB_POOL_", "CHANNEL_LAYER_CAPACITY")
WARM_UP_SEQ = 1  # each scenario's conversations start with one warm-up event
# Production's settings behind nginx (tests/test_deploy_nginx.py runs the same).
BEHIND_NGINX = {"DJANGO_BEHIND_PROXY": "true", "DJANGO_NUM_PROXIES": "1"}


# --- Command line ---------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add(
        "--processes",
        type=_counts,
        default=[1],
        help="daphne processes (default 1); a list such as 1,2 also measures max throughput and CPU"
        " at each count (the scale-out table); the rates run at the first count",
    )
    add("--nginx", action="store_true", help="put deploy/'s nginx (TLS) in front of the daphnes")
    add("--worker", action="store_true", help="run the background worker (manage.py worker) too")
    add(
        "--idle-subscribers",
        type=int,
        default=0,
        help="also open this many idle WebSockets on one daphne process: memory per connection (e.g. 5000)",
    )
    add("--idle-hold", type=float, default=20.0, help="seconds the idle WebSockets stay open (default 20)")
    add(
        "--idle-drain",
        type=float,
        default=60.0,
        help="seconds every idle WebSocket may take to receive its event (default 60)",
    )
    add("--conversations", type=int, default=10, help="conversations per scenario (default 10)")
    add("--subscribers", type=int, default=1, help="WebSocket subscribers per conversation (default 1)")
    add("--rates", type=_rates, default=[100, 500, 1000], help="open-loop rates/s (default 100,500,1000)")
    add("--duration", type=float, default=10.0, help="seconds of load per scenario (default 10)")
    add("--concurrency", type=int, default=32, help="closed-loop connections (default 32)")
    add("--repeat", type=int, default=3, help="runs of every scenario (default 3)")
    add("--warmup", type=float, default=2.0, help="closed-loop warm-up seconds before measuring (default 2)")
    add(
        "--drain",
        type=float,
        default=15.0,
        help="seconds subscribers may take after the load before an event counts as lost (default 15:"
        " longer than the app's 10 s resync, so only events the app never delivers count)",
    )
    add(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/connector_site_bench",
        help="dropped and recreated: its name must contain 'bench'",
    )
    add("--redis-url", default="redis://127.0.0.1:6379/0")
    add("--daphne-args", default="", help='extra daphne arguments, for experiments (e.g. "-v 0")')
    add("--output", type=Path, help="JSON results file (default bench/results/<timestamp>.json)")
    add("--docs", type=Path, default=ROOT / "docs" / "PERFORMANCE.md", help="Markdown file to update")
    add("--no-docs", action="store_true", help="do not update docs/PERFORMANCE.md")
    add("--no-floor", action="store_true", help="skip the bare-ASGI floor")
    add("--drop-database", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args(argv)
    if "bench" not in database.database_name(args.database_url):
        parser.error("--database-url: the database is dropped first, so its name must contain 'bench'")
    return args


def _rates(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _counts(text: str) -> list[int]:
    counts = _rates(text)
    if not counts or min(counts) < 1 or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError("distinct process counts of at least 1, e.g. 1,2")
    return counts


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Environment ---------------------------------------------------------------------


def app_env(database_url: str, redis_url: str) -> dict:
    """Like bin/test's: production settings over plain http on 127.0.0.1, own DB and channel prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_PREFIXES) or k.startswith(TUNABLES)}
    env.update(
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_MANIFEST="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER_PREFIX=database.database_name(database_url),
        LOG_LEVEL="WARNING",
    )
    return env


def env_overrides() -> dict:
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(TUNABLES)}


def machine_info(args: argparse.Namespace) -> dict:
    import channels
    import channels_redis
    import daphne
    import django
    import redis

    client = redis.Redis.from_url(args.redis_url)
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": database.server_version(args.database_url),
        "redis": redis_version,
        "django": django.get_version(),
        "daphne": daphne.__version__,
        "channels": channels.__version__,
        "channels_redis": getattr(channels_redis, "__version__", "?"),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "git": _git_revision(),
    }


def _git_revision() -> str:
    """The commit measured, and which tracked Python files differed from it (others do not run)."""
    try:
        revision = _git("describe", "--always", "--dirty")
        changed = _git("status", "--porcelain", "--untracked-files=no").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    # Porcelain lines are "XY path"; the output was stripped, so the first may have lost its X.
    python = [line.split(maxsplit=1)[1] for line in changed if line.endswith(".py")]
    return revision + (f" (modified: {', '.join(python)})" if python else "")


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


# --- Scenarios ------------------------------------------------------------------------


class Bench:
    """One stack's shared state: its daphnes (behind `front`, an nginx, if any), session, settings.

    `extra_pids` are more processes whose CPU counts in every app scenario (the
    worker); `suffix` tells this stack's scenarios apart when several run (scale-out).
    """

    warm_up_seq = WARM_UP_SEQ  # the seq subscribers of new conversations have already seen

    def __init__(
        self,
        args: argparse.Namespace,
        servers: list[Server],
        floor_servers: list[Server],
        cookie: str,
        *,
        front: Nginx | None = None,
        floor_front: Nginx | None = None,
        extra_pids: dict[str, list[int]] | None = None,
        suffix: str = "",
    ):
        self.args = args
        self.servers = servers
        self.floor_servers = floor_servers
        self.cookie = cookie
        self.front = front
        self.floor_front = floor_front
        self.extra_pids = extra_pids or {}
        self.suffix = suffix
        self.tls = front.tls_context() if front else None
        self.floor_tls = floor_front.tls_context() if floor_front else None
        self.app = App(account_id=ACCOUNT_ID, client_id=CLIENT_ID, secret=SECRET)
        self.database = database.database_name(args.database_url)
        self.redis_port = urlsplit(args.redis_url).port or 6379

    @property
    def ports(self) -> list[int]:
        """Where the generator and subscribers go: nginx's https port, or every daphne."""
        return [self.front.https_port] if self.front else [server.port for server in self.servers]

    @property
    def floor_ports(self) -> list[int]:
        return [self.floor_front.https_port] if self.floor_front else [s.port for s in self.floor_servers]

    def _cpu_groups(self, servers: list[Server], front: Nginx | None, extra: dict) -> CpuGroups:
        nginx = {"nginx": front.pids} if front else {}
        return CpuGroups([s.pid for s in servers], self.database, self.redis_port, {**extra, **nginx})

    def _factory(self) -> WebhookFactory:
        """Fresh conversations: each scenario counts its own events from zero."""
        ids = [f"bench-{uuid.uuid4()}" for _ in range(self.args.conversations)]
        return WebhookFactory(self.app, ids, first_sequence=WARM_UP_SEQ)

    async def warm_up(self, ports: list[int], tls=None) -> None:
        """Closed loop, results discarded: imports, pools, caches, JIT-less Python's first calls."""
        if self.args.warmup > 0:
            factory = self._factory()
            await http_load.closed_loop(factory, ports, self.args.concurrency, self.args.warmup, tls=tls)

    async def new_conversations(self) -> tuple[WebhookFactory, list[int]]:
        """Fresh conversations with their warm-up event stored: their factory, and their pks."""
        factory = self._factory()
        return factory, await self._warm_up_conversations(factory)

    async def app_scenario(self, name: str, rate: int | None) -> dict:
        """One scenario against the app: open loop at `rate`, or closed loop when None."""
        factory, pks = await self.new_conversations()
        subscriptions = self._subscriptions(pks)
        cafile = self.front.certificate if self.front else None
        subscribers = SubscriberProcess(subscriptions, self.cookie, cafile=cafile)
        try:
            cpu = self._cpu_groups(self.servers, self.front, self.extra_pids)
            before = cpu.sample()
            if rate is None:
                load = await http_load.closed_loop(
                    factory, self.ports, self.args.concurrency, self.args.duration, tls=self.tls
                )
            else:
                load = await http_load.open_loop(factory, self.ports, rate, self.args.duration, tls=self.tls)
            accepted = load.accepted_by_conversation(len(pks))
            expected = [accepted[pks.index(s.conversation_pk)] for s in subscriptions]
            received = await asyncio.to_thread(subscribers.drain, expected, self.args.drain)
            after = cpu.sample()
        finally:
            subscribers.stop()
        stored = database.stored_events(self.args.database_url, pks, WARM_UP_SEQ)
        cpu = procs.cpu_delta(before, after)
        return {**summarize(name, rate, self.args, load, expected, received, stored, cpu), **self._setup()}

    def _setup(self) -> dict:
        return {"processes": len(self.servers), "nginx": self.front is not None}

    async def send_one_each(self, factory: WebhookFactory, text: str | None = None) -> list[int]:
        """One webhook per conversation, in the factory's order, on one connection: their statuses."""
        connection = await http_load.Connection.open(self.ports[0], self.tls)
        try:
            statuses = []
            for _ in factory.conversations:
                request, _index = factory.build(connection.port, text=text)
                statuses.append(await connection.exchange(request))
            return statuses
        finally:
            connection.close()

    async def _warm_up_conversations(self, factory: WebhookFactory) -> list[int]:
        """One webhook per conversation creates its row; their pks, in the factory's order."""
        statuses = await self.send_one_each(factory, text="warmup")
        if any(status != 200 for status in statuses):
            raise RuntimeError(f"warm-up webhooks answered {statuses}")
        found = database.conversation_pks(self.args.database_url, self.app.account_id, factory.conversations)
        return [found[conversation] for conversation in factory.conversations]

    def _subscriptions(self, pks: list[int]) -> list[Subscription]:
        """K per conversation, spread over the daphnes (so fan-out crosses processes when N > 1)."""
        subscriptions = []
        scheme = "wss" if self.front else "ws"
        for i, pk in enumerate(pks):
            for j in range(self.args.subscribers):
                port = self.ports[(i * self.args.subscribers + j) % len(self.ports)]
                url = f"{scheme}://127.0.0.1:{port}/ws/conversations/{pk}/events/"
                subscriptions.append(Subscription(conversation_pk=pk, url=url, after=WARM_UP_SEQ))
        return subscriptions

    async def floor_scenario(self) -> dict:
        """The bare ASGI app, same closed-loop generator and requests (through its own nginx with one)."""
        cpu = self._cpu_groups(self.floor_servers, self.floor_front, {})
        before = cpu.sample()
        load = await http_load.closed_loop(
            self._factory(), self.floor_ports, self.args.concurrency, self.args.duration, tls=self.floor_tls
        )
        spent = procs.cpu_delta(before, cpu.sample())
        ok = sum(1 for status, _, _ in load.requests if status == 200)
        nginx = {"cpu_nginx_us_per_request": _per(spent["nginx"], ok)} if self.floor_front else {}
        return {
            "scenario": f"floor{self.suffix}",
            **self._setup(),
            "mode": "closed",
            "sent": len(load.requests),
            "status_200": ok,
            "status_other": len(load.requests) - ok,
            "requests_per_s": ok / load.elapsed,
            **_prefixed("ack", report.latency_ms([latency for _, latency, _ in load.requests])),
            "cpu_daphne_us_per_request": _per(spent["daphne"], ok),
            **nginx,
            "generator_us_per_request": _per(load.cpu_seconds, len(load.requests)),
        }


def summarize(name, rate, args, load, expected, received, stored, cpu) -> dict:
    """One scenario's figures (flat, so runs aggregate key by key)."""
    statuses = [status for status, _, _ in load.requests]
    accepted = statuses.count(200)
    delivered = tally(expected, received["records"])
    cpu = {**cpu, "postgres": cpu["postgres_backends"] + cpu["postgres_shared"]}
    # daphne, PostgreSQL, Redis, and the worker and nginx when they run.
    total_cpu = sum(seconds for group, seconds in cpu.items() if not group.startswith("postgres_"))
    return {
        "scenario": name,
        "mode": "closed" if rate is None else "open",
        "offered_per_s": rate,
        "duration_s": args.duration,
        "elapsed_s": load.elapsed,
        "connections": load.connections,
        "sent": len(statuses),
        "accepted": accepted,
        "status_200": accepted,
        "status_503": statuses.count(503),
        "status_other": len(statuses) - accepted - statuses.count(503),
        "accepted_per_s": accepted / load.elapsed,
        **_prefixed("ack", report.latency_ms([latency for _, latency, _ in load.requests])),
        **_prefixed("push", report.latency_ms(delivered["push"])),
        "stored": stored,
        "subscribers": len(expected),
        "expected": sum(expected),
        "received": delivered["received"],
        "lost": delivered["lost"],
        "duplicates": delivered["duplicates"],
        "socket_drops": sum(len(drops) for drops in received["drops"]),
        "socket_drop_reasons": sorted({reason for drops in received["drops"] for reason in drops})[:10],
        **{f"cpu_{group}_s": seconds for group, seconds in cpu.items()},
        "cpu_us_per_webhook": _per(total_cpu, accepted),
        **{f"cpu_{group}_us_per_webhook": _per(seconds, accepted) for group, seconds in cpu.items()},
        "generator_cpu_s": load.cpu_seconds,
        "generator_us_per_request": _per(load.cpu_seconds, len(statuses)),
        "generator_lag_p99_ms": report.latency_ms(load.lag)["p99_ms"] if load.lag else None,
        "subscriber_cpu_s": received["cpu_seconds"],
    }


def _prefixed(prefix: str, figures: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in figures.items()}


def _per(seconds: float, count: int) -> float | None:
    return seconds * 1e6 / count if count else None


def _line(s: dict) -> str:
    """One progress line per scenario."""
    if s["scenario"].startswith("floor"):
        cpu = s["cpu_daphne_us_per_request"] or 0
        return f"{s['scenario']}: {s['requests_per_s']:,.0f} req/s, daphne {cpu:,.0f} µs/req"
    push = s["push_p50_ms"], s["push_p99_ms"]
    push_text = f"{push[0]:.2f}/{push[1]:.2f} ms" if push[0] is not None else "none"
    return (
        f"{s['scenario']}: accepted {s['accepted_per_s']:,.0f}/s"
        f" ({s['status_200']} ok, {s['status_503']} 503, {s['status_other']} other),"
        f" ack p50/p99 {s['ack_p50_ms']:.2f}/{s['ack_p99_ms']:.2f} ms,"
        f" push p50/p99 {push_text}, stored {s['stored']}, received {s['received']}/{s['expected']},"
        f" lost {s['lost']}, socket drops {s['socket_drops']},"
        f" CPU {s['cpu_us_per_webhook'] or 0:,.0f} µs/webhook"
    )


# --- The run --------------------------------------------------------------------------


async def run_all(benches: list[Bench]) -> list[dict]:
    """`--repeat` rounds of: every open-loop rate (first stack), then max and floor of every stack.

    The stacks (one per `--processes` count) run side by side, so every round
    measures each count under the same conditions of the shared machine.
    """
    for bench in benches:
        await bench.warm_up(bench.ports, bench.tls)
        if bench.floor_servers:
            await bench.warm_up(bench.floor_ports, bench.floor_tls)
    args = benches[0].args
    runs = []
    for round_number in range(1, args.repeat + 1):
        log(f"run {round_number} of {args.repeat}")
        scenarios = []
        for rate in args.rates:
            scenarios.append(await benches[0].app_scenario(f"{rate}/s", rate))
            log("  " + _line(scenarios[-1]))
        for bench in benches:
            scenarios.append(await bench.app_scenario(f"max{bench.suffix}", None))
            log("  " + _line(scenarios[-1]))
            if bench.floor_servers:
                scenarios.append(await bench.floor_scenario())
                log("  " + _line(scenarios[-1]))
        runs.append({"run": round_number, "scenarios": scenarios})
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a CI timeout, a test) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.UTC)
    env = app_env(args.database_url, args.redis_url)
    if args.nginx:
        env.update(BEHIND_NGINX)
    log(f"preparing database {database.database_name(args.database_url)}")
    database.recreate(args.database_url)
    cookie = database.migrate_and_seed(env)["session_key"]
    machine = machine_info(args)
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as logs, contextlib.ExitStack() as stack:
        launcher = Launcher(stack, args, env, Path(logs), cookie)
        try:
            benches = [launcher.bench(count) for count in args.processes]
            runs = asyncio.run(run_all(benches))
            idle_result = None
            if args.idle_subscribers:
                idle_result = asyncio.run(idle.measure(launcher.idle_bench(), args.idle_subscribers))
                log("  " + idle.line(idle_result))
        except KeyboardInterrupt:
            log("interrupted: stopping the servers")
            return 130
        except Exception:
            launcher.log_tails()
            raise
    result = _result(args, argv, started, machine, runs, idle_result)
    _write(args, result)
    if args.drop_database:
        database.drop(args.database_url)
    return 0


class Launcher:
    """Starts the run's processes (the worker, daphnes, nginx), each stopped when `stack` closes."""

    def __init__(self, stack: contextlib.ExitStack, args, env: dict, log_dir: Path, cookie: str):
        self.stack, self.args, self.env, self.log_dir, self.cookie = stack, args, env, log_dir, cookie
        self.daphne_args = shlex.split(args.daphne_args)
        self.servers: list[Server] = []  # every daphne started, for their logs if the run fails
        self.extra_pids = {}
        if args.worker:
            worker = procs.start_worker(env, log_dir)
            stack.callback(procs.stop_process, worker)
            self.extra_pids["worker"] = [worker.pid]
            log(f"worker pid {worker.pid}")

    def bench(self, count: int) -> Bench:
        """A stack of `count` daphnes (and `count` floor daphnes), behind nginx with --nginx."""
        servers = self._daphnes(count, APP, "/health")
        floor = [] if self.args.no_floor else self._daphnes(count, BARE_APP, "/")
        front = self._front(servers, f"nginx-{count}")
        floor_front = self._front(floor, f"nginx-floor-{count}") if floor else None
        log(
            f"{count} daphne(s): ports {[s.port for s in servers]}, floor ports {[s.port for s in floor]}"
            + (f"; nginx https ports {front.https_port}, floor {floor_front.https_port}" if front else "")
        )
        suffix = scaleout.suffix(count, self.args.processes[0])
        return Bench(
            self.args,
            servers,
            floor,
            self.cookie,
            front=front,
            floor_front=floor_front,
            extra_pids=self.extra_pids,
            suffix=suffix,
        )

    def idle_bench(self) -> Bench:
        """One fresh daphne of its own: what one process holds per connection (with --nginx,
        reached through an nginx of its own, whose memory per connection is reported too)."""
        servers = self._daphnes(1, APP, "/health")
        front = self._front(servers, "nginx-idle", connections=idle.NGINX_CONNECTIONS)
        return Bench(self.args, servers, [], self.cookie, front=front)

    def _daphnes(self, count: int, application: str, ready_path: str) -> list[Server]:
        started = []
        for _ in range(count):
            server = procs.start_daphne(application, self.env, self.log_dir, self.daphne_args, ready_path)
            self.stack.callback(procs.stop_server, server)
            started.append(server)
        self.servers += started
        return started

    def _front(self, servers: list[Server], name: str, **options) -> Nginx | None:
        if not self.args.nginx:
            return None
        front = start_nginx([server.port for server in servers], self.log_dir / name, **options)
        self.stack.callback(stop_nginx, front)
        return front

    def log_tails(self) -> None:
        for server in self.servers:
            log(f"daphne on port {server.port} said:\n{server.log_tail()}")


def _result(args, argv, started, machine, runs, idle_result) -> dict:
    aggregated = report.aggregate(runs)
    arguments = sys.argv[1:] if argv is None else argv
    output = args.output or ROOT / "bench" / "results" / f"{started:%Y%m%dT%H%M%SZ}.json"
    scale_out = scaleout.rows(aggregated, args.processes) if len(args.processes) > 1 else None
    checks = report.targets(aggregated, args.rates) + idle.targets(idle_result) + scaleout.targets(scale_out)
    return {
        "started_at": f"{started:%Y-%m-%d %H:%M} UTC",
        "command": " ".join(["bin/bench", *map(shlex.quote, arguments)]),
        "json_path": report.relative_to_root(output),
        "config": {
            "processes": args.processes,
            "nginx": args.nginx,
            "worker": args.worker,
            "conversations": args.conversations,
            "subscribers": args.subscribers,
            "rates": args.rates,
            "duration": args.duration,
            "concurrency": args.concurrency,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "drain": args.drain,
            "idle_subscribers": args.idle_subscribers,
            "idle_hold": args.idle_hold,
            "idle_drain": args.idle_drain,
            "daphne_args": args.daphne_args,
            "env_overrides": env_overrides(),
        },
        "machine": machine,
        "runs": runs,
        "aggregated": aggregated,
        "scale_out": scale_out,
        "idle": idle_result,
        "targets": checks,
    }


def _write(args, result: dict) -> None:
    log(f"results: {report.save_results(result)}")
    for check in result["targets"]:
        log(f"target {check['target']}: {check['measured']} -> {check['pass']}")
    if args.no_docs:
        return
    variant = "nginx" if args.nginx else None
    image = args.docs.parent / ("performance-latency-nginx.png" if variant else "performance-latency.png")
    title = "Latency against offered rate" + (" (behind nginx, TLS)" if variant else "")
    if plot.latency_plot(result["aggregated"], args.rates, image, title):
        result["plot"] = image.name
        log(f"plot: {image}")
    extra = [scaleout.markdown(result["scale_out"], result["config"])] if result["scale_out"] else []
    extra += [idle.markdown(result["idle"])] if result["idle"] else []
    report.write_docs(args.docs, report.markdown(result, extra), *report.markers(variant))
    log(f"updated {args.docs}")


if __name__ == "__main__":
    sys.exit(main())
