"""What one lone webhook costs: `python -m bench.sequential` (or `bin/bench-sequential`).

The suite (bench.webhooks) measures the whole stack under load, where batching
and the machine's two cores blur where the time goes. This measures the
unloaded path piece by piece, as the hot-path work of docs/PERFORMANCE.md did:

1. Sequential webhooks over one keep-alive connection to one daphne serving
   the application (no subscriber), back to back and 10 ms apart: latency
   percentiles and daphne's CPU per request. The same against the bare ASGI
   floor (bench/bare_asgi.py) under its own daphne.
2. The batch transaction alone (webhooks.store_postgresql.store_batch, in this
   process) for batches of 1, 32 and 200 webhooks: wall time, client CPU and
   PostgreSQL CPU per webhook.

Results are printed as Markdown; nothing is written to the docs.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import database, procs, report
from bench.http_load import App, Connection, WebhookFactory
from bench.procs import CpuGroups
from bench.seed import ACCOUNT_ID, CLIENT_ID, SECRET
from bench.webhooks import APP, BARE_APP, app_env, log

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/connector_site_bench_sequential"
BATCH_SIZES = (1, 32, 200)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench-sequential", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=1000, help="sequential requests per pace (default 1000)"
    )
    parser.add_argument(
        "--store-webhooks", type=int, default=600, help="webhooks per batch size (default 600)"
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="dropped and recreated: name with 'bench'"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    if "bench" not in database.database_name(args.database_url):
        parser.error("--database-url: its database name must contain 'bench'")
    return args


# --- 1. Sequential requests through daphne ----------------------------------------------


def _factory() -> WebhookFactory:
    return WebhookFactory(App(ACCOUNT_ID, CLIENT_ID, SECRET), [f"seq-{uuid.uuid4()}" for _ in range(5)])


async def _sequential(port: int, count: int, pause: float) -> list[float]:
    """Latency in ms of `count` webhooks sent one after another (after 50 unmeasured)."""
    connection = await Connection.open(port)
    factory = _factory()
    latencies = []
    try:
        for _ in range(count + 50):
            request, _ = factory.build(port)
            started = time.perf_counter()
            status = await connection.exchange(request)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"a webhook answered {status}")
            if pause:
                await asyncio.sleep(pause)
    finally:
        connection.close()
    return latencies[50:]


def measure_sequential(env: dict, count: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as logs:
        for name, application, ready in (("application", APP, "/health"), ("bare floor", BARE_APP, "/")):
            server = procs.start_daphne(application, env, Path(logs), [], ready)
            try:
                for pace, pause in (("back to back", 0.0), ("10 ms apart", 0.010)):
                    before = procs.cpu_seconds(server.pid)
                    latencies = asyncio.run(_sequential(server.port, count, pause))
                    cpu = procs.cpu_seconds(server.pid) - before
                    row = {
                        "server": name,
                        "pace": pace,
                        **_percentiles(latencies),
                        "cpu_us": cpu / count * 1e6,
                    }
                    rows.append(row)
                    log(f"{name}, {pace}: p50 {row['p50']:.2f} ms, daphne {row['cpu_us']:,.0f} µs/request")
            finally:
                procs.stop_server(server)
    return rows


def _percentiles(values: list[float]) -> dict:
    return {name: report.percentile(values, q) for name, q in (("p50", 50), ("p90", 90), ("p99", 99))}


# --- 2. The batch transaction alone -----------------------------------------------------


def measure_store(args: argparse.Namespace) -> list[dict]:
    """store_batch in this process, on the benchmark database (Django set up here)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
    django.setup()
    from webhooks import notifications, store_postgresql
    from webhooks.records import DeliveryRecord

    factory = _factory()

    def record() -> DeliveryRecord:
        webhook = factory.webhook()
        kind, changes = notifications.parse(webhook.body)
        return DeliveryRecord(
            status=200,
            accepted=True,
            reason="accepted",
            account_id=ACCOUNT_ID,
            client_id=CLIENT_ID,
            headers={"content-type": "application/json", "host": "127.0.0.1"},
            body=webhook.body.decode(),
            notification_type=kind,
            changes=changes,
        )

    cpu = CpuGroups([], database.database_name(args.database_url), 0)
    rows = []
    for size in BATCH_SIZES:
        batches = [[record() for _ in range(size)] for _ in range(max(3, args.store_webhooks // size) + 3)]
        for batch in batches[:3]:  # warm-up: connection, prepared statement, plans
            store_postgresql.store_batch(batch)
        measured = batches[3:]
        webhooks = size * len(measured)
        before, wall, client = cpu.sample(), time.perf_counter(), time.process_time()
        for batch in measured:
            store_postgresql.store_batch(batch)
        wall, client = time.perf_counter() - wall, time.process_time() - client
        postgres = procs.cpu_delta(before, cpu.sample())["postgres_backends"]
        rows.append(
            {
                "batch": size,
                "wall_us": wall / webhooks * 1e6,
                "client_us": client / webhooks * 1e6,
                "postgres_us": postgres / webhooks * 1e6,
            }
        )
        log(f"batch of {size}: {rows[-1]['wall_us']:,.0f} µs wall per webhook")
    from django.db import connections

    connections.close_all()  # before the database is dropped
    return rows


# --- Report ---------------------------------------------------------------------------


def markdown(sequential: list[dict], store: list[dict]) -> str:
    lines = [
        "| Server | Pace | p50 ms | p90 ms | p99 ms | daphne CPU µs/request |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r['server']} | {r['pace']} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f}"
            f" | {r['cpu_us']:,.0f} |"
            for r in sequential
        ],
        "",
        "| Batch of | Wall µs/webhook | Client CPU µs/webhook | PostgreSQL CPU µs/webhook |",
        "|---|---|---|---|",
        *[
            f"| {r['batch']} | {r['wall_us']:,.0f} | {r['client_us']:,.0f} | {r['postgres_us']:,.0f} |"
            for r in store
        ],
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = app_env(args.database_url, args.redis_url)
    log(f"preparing database {database.database_name(args.database_url)}")
    database.recreate(args.database_url)
    try:
        database.migrate_and_seed(env)
        sequential = measure_sequential(env, args.requests)
        os.environ.update(env)
        store = measure_store(args)
    finally:
        database.drop(args.database_url)
    print(markdown(sequential, store))
    return 0


if __name__ == "__main__":
    sys.exit(main())
