"""The scenarios of bench.faults: load with a fault, the worker killed, the flood, the soak.

Each scenario starts its own daphnes (and worker), on the run's private
PostgreSQL and Redis, uses fresh conversations, and stops everything it
started before it returns, whatever happened. Its figures are counts checked
against the database and the subscribers; see faults_report for their meaning.
"""

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import database, fault_counts, procs, replay
from bench.http_load import App, WebhookFactory
from bench.private_services import PrivatePostgres, PrivateRedis
from bench.procs import ROOT, Server
from bench.replay import Replayer, ReplayResult
from bench.seed import ACCOUNT_ID, CLIENT_ID, SECRET
from bench.subscribers import SubscriberProcess, Subscription

APP = "connector_site.asgi:application"
FAULT_AT = 0.3  # the fault starts this far into the load
DISPATCHER_JOB = "sandbox.dispatcher.run_due"
WORKER_LEASE_SECONDS = 5  # how long a killed worker's claims stay its own (the app's default: 60)


@dataclass
class Context:
    """What every scenario of one run shares: options, environment, private servers, session."""

    args: object  # argparse.Namespace of bench.faults
    env: dict
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str
    cookie: str
    log_dir: Path

    @contextlib.contextmanager
    def daphnes(self, count: int):
        """`count` daphnes, started side by side; all stopped on exit (a killed one too)."""
        with ThreadPoolExecutor(count) as pool:
            futures = [
                pool.submit(procs.start_daphne, APP, self.env, self.log_dir, [], "/health")
                for _ in range(count)
            ]
        servers = [future.result() for future in futures if future.exception() is None]
        try:
            if len(servers) < count:
                raise next(future.exception() for future in futures if future.exception() is not None)
            yield servers
        finally:
            for server in servers:
                procs.stop_server(server)

    @contextlib.contextmanager
    def worker(self, env: dict | None = None, jobs: tuple[str, ...] = ()):
        process = procs.start_worker(env or self.env, self.log_dir, jobs)
        try:
            yield process
        finally:
            procs.stop_process(process)


def log(message: str) -> None:
    print(f"[bench-faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Conversations and subscribers ---------------------------------------------------


def new_factory(conversations: int) -> WebhookFactory:
    ids = [f"bench-{uuid.uuid4()}" for _ in range(conversations)]
    return WebhookFactory(App(account_id=ACCOUNT_ID, client_id=CLIENT_ID, secret=SECRET), ids)


async def warm_up(ctx: Context, factory: WebhookFactory, ports: list[int]) -> list[int]:
    """One acknowledged webhook per conversation creates its row (seq 1); their pks, in order."""
    replayer = Replayer(ports, retry_scale=0.1)
    deadline = time.perf_counter() + 30
    for _ in factory.conversations:
        await replayer.deliver(factory.webhook(text="warmup"), deadline)
    if replayer.finish().unacknowledged:
        raise RuntimeError("a warm-up webhook was never acknowledged")
    found = database.conversation_pks(ctx.database_url, ACCOUNT_ID, factory.conversations)
    return [found[conversation] for conversation in factory.conversations]


def subscriptions(pks: list[int], ports: list[int], per_conversation: int) -> list[Subscription]:
    """Spread over the daphnes; each may move to the others when its own goes away."""
    result = []
    for number in range(len(pks) * per_conversation):
        pk = pks[number // per_conversation]
        urls = [f"ws://127.0.0.1:{port}/ws/conversations/{pk}/events/" for port in ports]
        first = number % len(urls)
        others = urls[first + 1 :] + urls[:first]
        result.append(Subscription(conversation_pk=pk, url=urls[first], after=1, fallback_urls=others))
    return result


@dataclass
class Live:
    """The conversations of a load scenario, with their subscribers."""

    factory: WebhookFactory
    pks: list[int]
    subscriptions: list[Subscription]
    subscribers: SubscriberProcess
    first_delivery_id: int

    def expected(self, load: ReplayResult) -> list[int]:
        """Per subscriber: the events acknowledged in its conversation."""
        acknowledged = load.acknowledged_by_conversation(len(self.pks))
        return [acknowledged[self.pks.index(s.conversation_pk)] for s in self.subscriptions]


@contextlib.asynccontextmanager
async def live_conversations(ctx: Context, ports: list[int], conversations: int):
    factory = new_factory(conversations)
    pks = await warm_up(ctx, factory, ports)
    subs = subscriptions(pks, ports, ctx.args.subscribers)
    subscribers = await asyncio.to_thread(SubscriberProcess, subs, ctx.cookie)
    try:
        yield Live(factory, pks, subs, subscribers, fault_counts.last_delivery_id(ctx.database_url))
    finally:
        subscribers.stop()


async def settle(ctx: Context, live: Live, load: ReplayResult, drain: float) -> tuple[dict, list]:
    """Wait for the subscribers, then check the database: the scenario's counts, and its push
    latencies as [(sent ns, seconds)]."""
    expected = live.expected(load)
    received = await asyncio.to_thread(live.subscribers.drain, expected, drain)
    stored = fault_counts.stored_events(ctx.database_url, live.pks)
    deliveries = fault_counts.deliveries_since(ctx.database_url, live.first_delivery_id)
    pks = [s.conversation_pk for s in live.subscriptions]
    return fault_counts.load_counts(live.factory, pks, load, expected, received, stored, deliveries)


# --- Faults under load ---------------------------------------------------------------


def restart_redis(ctx: Context, servers: list[Server]) -> str:
    ctx.redis.kill()
    time.sleep(ctx.args.outage)
    ctx.redis.start()
    return f"Redis killed (SIGKILL), started again {ctx.args.outage:g} s later"


def restart_postgres(ctx: Context, servers: list[Server]) -> str:
    ctx.postgres.stop("immediate")
    time.sleep(ctx.args.outage)
    ctx.postgres.start()
    return f"PostgreSQL stopped (pg_ctl -m immediate: a crash), started again {ctx.args.outage:g} s later"


def kill_daphne(ctx: Context, servers: list[Server]) -> str:
    servers[0].process.kill()
    servers[0].process.wait()
    return f"daphne :{servers[0].port} killed (SIGKILL) of {len(servers)}, not restarted"


FAULTS = {"redis": restart_redis, "postgres": restart_postgres, "daphne": kill_daphne}


async def fault_under_load(ctx: Context, name: str) -> dict:
    """Open loop at --rate for --duration s; the fault starts FAULT_AT into it."""
    args = ctx.args
    with ctx.daphnes(args.processes) as servers, ctx.worker(jobs=args.worker_jobs):
        ports = [server.port for server in servers]
        async with live_conversations(ctx, ports, args.conversations) as live:
            replayer = Replayer(ports, retry_scale=args.retry_scale)
            deadline = time.perf_counter() + args.duration + args.settle
            load = asyncio.create_task(
                replay.open_loop(replayer, live.factory, args.rate, args.duration, deadline)
            )
            await asyncio.sleep(args.duration * FAULT_AT)
            started = time.perf_counter()
            fault = await asyncio.to_thread(FAULTS[name], ctx, servers)
            fault_seconds = time.perf_counter() - started
            result = await load
            counts, _ = await settle(ctx, live, result, args.drain)
    return {"scenario": name, "fault": fault, "fault_seconds": fault_seconds, **counts}


# --- The worker killed in the middle of a batch ----------------------------------------


def worker_env(ctx: Context) -> dict:
    """The sandbox on, its dispatcher's retries scaled, and a lease short enough to wait for."""
    return {
        **ctx.env,
        "SANDBOX_ENABLED": "true",
        "SANDBOX_WEBHOOK_RETRY_SCALE": str(ctx.args.retry_scale * 0.1),
        "SANDBOX_WEBHOOK_CONNECT_TIMEOUT": str(ctx.args.worker_post_timeout),
        "SANDBOX_WEBHOOK_READ_TIMEOUT": str(ctx.args.worker_post_timeout),
        "WORKER_LEASE_SECONDS": str(WORKER_LEASE_SECONDS),
    }


def worker_lease_seconds(post_timeout: float) -> float:
    """The dispatcher's lease (sandbox.dispatcher.lease_seconds): never shorter than a POST + 5 s."""
    return max(WORKER_LEASE_SECONDS, 2 * post_timeout + 5)


def queue_notifications(ctx: Context, env: dict, port: int) -> dict:
    endpoint = f"https://127.0.0.1:{port}/notifications/event"  # as a demo app's: https, called over http
    arguments = [endpoint, str(ctx.args.worker_conversations), str(ctx.args.worker_messages)]
    seeded = subprocess.run(
        [sys.executable, "-m", "bench.fault_seed", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def wait_for(condition, timeout: float, poll: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(poll)
    return None


def kill_mid_batch(ctx: Context, worker: subprocess.Popen, first_delivery: int, tries: int = 300) -> dict:
    """SIGKILL the worker in the middle of a batch: holding claims, with POSTs that the
    app has received but the worker has not recorded yet (it will post them again).

    The worker is frozen (SIGSTOP) while this is checked, so what is counted is the
    state it dies in; otherwise it is let go (SIGCONT) a moment and checked again.
    After `tries`, claims held are enough.
    """
    for attempt in range(tries + 1):
        worker.send_signal(signal.SIGSTOP)
        time.sleep(0.02)  # POSTs already sent reach the app meanwhile
        state = _outbox_state(ctx, first_delivery)
        if state["pending"] == 0 or (state["leased"] and (state["unrecorded_posts"] or attempt == tries)):
            break
        worker.send_signal(signal.SIGCONT)
        time.sleep(0.005)
    worker.kill()
    worker.wait()
    return state


def _outbox_state(ctx: Context, first_delivery: int) -> dict:
    outbox = fault_counts.notifications(ctx.database_url)
    received = sum(fault_counts.deliveries_since(ctx.database_url, first_delivery).values())
    return {**outbox, "unrecorded_posts": received - fault_counts.posts_recorded(ctx.database_url)}


def worker_killed(ctx: Context) -> dict:
    """Queue sandbox notifications, let the worker post them, SIGKILL it once
    --worker-kill-at of them are delivered, start another, and count."""
    args, env = ctx.args, worker_env(ctx)
    with ctx.daphnes(1) as servers:
        first_delivery = fault_counts.last_delivery_id(ctx.database_url)
        seeded = queue_notifications(ctx, env, servers[0].port)
        total = seeded["notifications"]
        started = time.perf_counter()
        with ctx.worker(env, (DISPATCHER_JOB,)) as first:
            enough = int(total * args.worker_kill_at)
            reached = wait_for(
                lambda: fault_counts.notifications(ctx.database_url)["delivered"] >= enough, 120
            )
            at_kill = kill_mid_batch(ctx, first, first_delivery)
        killed_at = time.perf_counter() - started
        with ctx.worker(env, (DISPATCHER_JOB,)):
            finished = wait_for(
                lambda: fault_counts.notifications(ctx.database_url)["pending"] == 0, args.settle
            )
        elapsed = time.perf_counter() - started
    counts = fault_counts.worker_counts(ctx.database_url, seeded["conversation_ids"], first_delivery)
    return {
        "scenario": "worker",
        "fault": f"worker killed (SIGKILL) at {at_kill['delivered']:,} of {total:,} delivered,"
        f" {at_kill['leased']} claimed, {at_kill['unrecorded_posts']} of them posted and not recorded;"
        " another worker started",
        "killed_after_s": killed_at,
        "reached_kill_point": bool(reached),
        "finished": bool(finished),
        "elapsed_s": elapsed,
        "queued": total,
        "at_kill": at_kill,
        **counts,
    }


# --- The retry flood -------------------------------------------------------------------


async def flood(ctx: Context, concurrency: int) -> dict:
    """--flood-events as fast as they are accepted, over `concurrency` connections."""
    args = ctx.args
    with ctx.daphnes(args.processes) as servers, ctx.worker(jobs=args.worker_jobs):
        ports = [server.port for server in servers]
        async with live_conversations(ctx, ports, args.conversations) as live:
            replayer = Replayer(ports, retry_scale=args.retry_scale, connections=concurrency)
            deadline = time.perf_counter() + args.flood_timeout
            result = await replay.closed_loop(
                replayer, live.factory, args.flood_events, concurrency, deadline
            )
            counts, _ = await settle(ctx, live, result, args.drain)
    fault = f"{args.flood_events:,} events over {concurrency} connections"
    return {"scenario": "flood", "concurrency": concurrency, "fault": fault, **counts}


# --- The soak ----------------------------------------------------------------------------


async def soak(ctx: Context) -> dict:
    """--rate for --soak-minutes, sampling memory every --sample-seconds."""
    args = ctx.args
    duration = args.soak_minutes * 60
    with ctx.daphnes(args.processes) as servers, ctx.worker(jobs=args.worker_jobs) as worker:
        ports = [server.port for server in servers]
        pids = {**{f"daphne :{s.port}": s.pid for s in servers}, "worker": worker.pid}
        async with live_conversations(ctx, ports, args.conversations) as live:
            replayer = Replayer(ports, retry_scale=args.retry_scale)
            start_ns = time.time_ns()
            sampler = asyncio.create_task(sample_memory(pids, args.sample_seconds))
            deadline = time.perf_counter() + duration + args.settle
            result = await replay.open_loop(replayer, live.factory, args.rate, duration, deadline)
            sampler.cancel()
            memory = await sampler
            counts, push = await settle(ctx, live, result, args.drain)
    windows = fault_counts.soak_windows(result, push, memory, start_ns, args)
    return {
        "scenario": "soak",
        "fault": f"{args.rate:g}/s for {args.soak_minutes:g} min",
        **counts,
        **windows,
    }


async def sample_memory(pids: dict[str, int], every: float) -> list[tuple[float, dict]]:
    """(seconds since start, RSS bytes per process) now and every `every` s, until cancelled."""
    samples = []
    start = time.perf_counter()
    try:
        while True:
            samples.append(
                (time.perf_counter() - start, {name: procs.rss_bytes(pid) for name, pid in pids.items()})
            )
            await asyncio.sleep(every)
    except asyncio.CancelledError:
        samples.append(
            (time.perf_counter() - start, {name: procs.rss_bytes(pid) for name, pid in pids.items()})
        )
        return samples
