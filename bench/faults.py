"""Faults, floods and soak of the webhook path: `python -m bench.faults` (or `bin/bench-faults`).

Redis restarted, PostgreSQL restarted, a daphne killed and the worker killed,
each under load; a LivePerson retry flood; and, on demand, a soak. All on
loopback, against a PostgreSQL cluster and a Redis of the run's own (the
shared ones are never stopped), each scenario bounded in time. The sender
behaves like LivePerson: what is not answered 200 is retried later, so every
scenario reports events sent, acknowledged, stored and delivered, with zero
loss of acknowledged events as the target. See docs/PERFORMANCE.md.
"""

import argparse
import asyncio
import contextlib
import datetime
import shlex
import signal
import sys
import tempfile
from pathlib import Path

from bench import adversary, database, fault_scenarios, faults_report, report
from bench.fault_scenarios import Context, log
from bench.private_services import PrivatePostgres, PrivateRedis
from bench.procs import ROOT
from bench.webhooks import app_env, machine_info

LOAD_FAULTS = ("redis", "postgres", "daphne")
SCENARIOS = (*LOAD_FAULTS, "worker", "flood", "adversary", "soak")
DEFAULT_SCENARIOS = (*LOAD_FAULTS, "worker", "flood", "adversary")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench-faults", description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add(
        "--scenarios",
        type=_scenarios,
        default=list(DEFAULT_SCENARIOS),
        help=f"of {','.join(SCENARIOS)} (default: all but soak; --soak-minutes adds it)",
    )
    add("--processes", type=int, default=2, help="daphne processes (default 2)")
    add("--conversations", type=int, default=10, help="conversations per load scenario (default 10)")
    add("--subscribers", type=int, default=1, help="WebSocket subscribers per conversation (default 1)")
    add(
        "--rate", type=float, default=200, help="webhooks/s of the fault scenarios and the soak (default 200)"
    )
    add("--duration", type=float, default=20, help="seconds of load per fault scenario (default 20)")
    add("--outage", type=float, default=5, help="seconds Redis or PostgreSQL stays down (default 5)")
    add(
        "--retry-scale",
        type=float,
        default=1.0,
        help="multiplies LivePerson's retry delays, 2 s doubling (default 1)",
    )
    add(
        "--settle",
        type=float,
        default=60,
        help="seconds after the load that retries may still go on (default 60)",
    )
    add("--drain", type=float, default=45, help="seconds subscribers may take to catch up (default 45)")
    add("--worker-conversations", type=int, default=40, help="sandbox conversations (default 40)")
    add("--worker-messages", type=int, default=49, help="messages per sandbox conversation (default 49)")
    add("--worker-kill-at", type=float, default=0.33, help="fraction delivered when the worker is killed")
    add(
        "--worker-post-timeout",
        type=float,
        default=2.5,
        help="the dispatcher's connect and read timeouts, s (default 2.5; LivePerson's are 5)",
    )
    add("--flood-events", type=int, default=100_000, help="events of the retry flood (default 100,000)")
    add(
        "--flood-concurrency",
        type=_numbers,
        default=[256, 1000],
        help="connections of the retry flood, one flood each (default 256,1000: saturated, and far over)",
    )
    add("--flood-timeout", type=float, default=900, help="seconds the flood may take at most (default 900)")
    add(
        "--adversary-rate",
        type=float,
        default=500,
        help="legitimate webhooks/s of the adversary scenario, alone then under attack (default 500)",
    )
    add("--soak-minutes", type=float, default=0, help="add the soak, this long (e.g. 30; default: no soak)")
    add(
        "--sample-seconds",
        type=float,
        default=60,
        help="soak window: memory and latency samples (default 60)",
    )
    add(
        "--worker-jobs",
        type=lambda text: tuple(part.strip() for part in text.split(",") if part.strip()),
        default=(),
        help="the worker's jobs in the load scenarios, comma-separated (default: all of WORKER_JOBS);"
        " e.g. to measure what one job adds",
    )
    add("--database-name", default="connector_site_bench_faults", help="in the run's own PostgreSQL")
    add("--output", type=Path, help="JSON results file (default bench/results/faults-<timestamp>.json)")
    add("--docs", type=Path, default=ROOT / "docs" / "PERFORMANCE.md", help="Markdown file to update")
    add("--no-docs", action="store_true", help="do not update docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    if args.soak_minutes > 0 and "soak" not in args.scenarios:
        args.scenarios.append("soak")
    if "soak" in args.scenarios and args.soak_minutes <= 0:
        parser.error("the soak needs --soak-minutes")
    if "daphne" in args.scenarios and args.processes < 2:
        parser.error("killing a daphne needs --processes 2 or more")
    return args


def _numbers(text: str) -> list[int]:
    numbers = [int(part) for part in text.split(",") if part.strip()]
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("whole numbers of at least 1, e.g. 256,1000")
    return numbers


def _scenarios(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SCENARIOS)}")
    return chosen


# --- The run ----------------------------------------------------------------------------


async def run_scenarios(ctx: Context) -> list[dict]:
    results = []
    for name in ctx.args.scenarios:
        log(f"scenario {name}")
        if name in LOAD_FAULTS:
            result = await fault_scenarios.fault_under_load(ctx, name)
        elif name == "worker":
            result = await asyncio.to_thread(fault_scenarios.worker_killed, ctx)
        elif name == "flood":
            result = [await fault_scenarios.flood(ctx, c) for c in ctx.args.flood_concurrency]
        elif name == "adversary":
            result = await adversary.adversary(ctx)
        else:
            result = await fault_scenarios.soak(ctx)
        for one in result if isinstance(result, list) else [result]:
            results.append(faults_report.judged(one))
            log("  " + faults_report.line(results[-1]))
    return results


@contextlib.contextmanager
def private_stack(args: argparse.Namespace):
    """The run's PostgreSQL (migrated and seeded) and Redis, and a log directory; all removed on exit."""
    with contextlib.ExitStack() as stack:
        postgres = PrivatePostgres()
        stack.callback(postgres.close)
        postgres.init()
        redis = PrivateRedis()
        stack.callback(redis.close)
        redis.start()
        url = postgres.url(args.database_name)
        database.recreate(url)
        env = app_env(url, redis.url)
        cookie = database.migrate_and_seed(env)["session_key"]
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-faults-logs-")))
        yield Context(args, env, postgres, redis, url, cookie, log_dir)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a CI timeout, a test) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.UTC)
    with private_stack(args) as ctx:
        log(
            f"PostgreSQL :{ctx.postgres.port}, Redis :{ctx.redis.port} (the run's own); logs in {ctx.log_dir}"
        )
        machine = machine_info(argparse.Namespace(database_url=ctx.database_url, redis_url=ctx.redis.url))
        try:
            results = asyncio.run(run_scenarios(ctx))
        except BaseException:
            _print_logs(ctx.log_dir)
            raise
    result = _result(args, argv, started, machine, results)
    _write(args, result)
    return 0 if all(r["pass"] for r in results) else 1


def _print_logs(log_dir: Path) -> None:
    for path in sorted(log_dir.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        lines = [line for line in lines if '"POST /notifications/event' not in line][-20:]
        log(f"{path.name}:\n" + "\n".join(lines))


def _result(args, argv, started, machine, results) -> dict:
    arguments = sys.argv[1:] if argv is None else argv
    output = args.output or ROOT / "bench" / "results" / f"faults-{started:%Y%m%dT%H%M%SZ}.json"
    config = {key: value for key, value in vars(args).items() if key not in ("output", "docs", "no_docs")}
    return {
        "started_at": f"{started:%Y-%m-%d %H:%M} UTC",
        "command": " ".join(["bin/bench-faults", *map(shlex.quote, arguments)]),
        "json_path": report.relative_to_root(output),
        "config": config,
        "machine": machine,
        "scenarios": results,
    }


def _write(args, result: dict) -> None:
    log(f"results: {report.save_results(result)}")
    if not args.no_docs:
        faults_report.write_docs(args.docs, result)
        log(f"updated {args.docs}")


if __name__ == "__main__":
    sys.exit(main())
