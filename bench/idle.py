"""Memory per WebSocket connection: many idle subscribers on one daphne (`--idle-subscribers`).

One fresh daphne process, reached directly (with --nginx: through an nginx of
its own, TLS, whose workers' memory is read too). N subscribers, spread round-robin
over the conversations and over several client processes (each holds its
sockets in one event loop), connect and then stay idle for `--idle-hold` s.
Reported: daphne's resident memory (VmRSS) before and after ÷ connections;
whether all connected and stayed connected (no socket drops); what the idle
sockets cost in CPU (each subscriber's periodic resync is one query every
WEBHOOK_RESYNC_SECONDS); then one webhook per conversation, which every
subscriber must receive (lost must be 0).
"""

import asyncio
import math
import time

from bench import database, procs, report
from bench.procs import CpuGroups
from bench.report import _int, _ms
from bench.subscribers import SubscriberProcess, Subscription, tally

PER_CLIENT_PROCESS = 1250  # sockets per subscriber process: 4 processes for 5,000
SETTLE_SECONDS = 2.0  # after the last connection, before reading daphne's memory
TARGET_SUBSCRIBERS = 5000
# Per nginx worker: every proxied WebSocket holds a client and an upstream
# connection, and one worker may take most of them.
NGINX_CONNECTIONS = 2 * TARGET_SUBSCRIBERS + 1024


async def measure(bench, count: int) -> dict:
    """`count` idle subscribers on `bench`'s one daphne (a webhooks.Bench); the figures."""
    server = bench.servers[0]
    factory, pks = await bench.new_conversations()
    rss_before, nginx_before = procs.rss_bytes(server.pid), _nginx_rss(bench)
    chunks = _chunks(_subscriptions(bench, pks, count), math.ceil(count / PER_CLIENT_PROCESS))
    started = time.perf_counter()
    cafile = bench.front.certificate if bench.front else None
    clients = await _start_clients(chunks, bench.cookie, ready_timeout=60 + count / 10, cafile=cafile)
    try:
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(SETTLE_SECONDS)
        rss_after, nginx_after = procs.rss_bytes(server.pid), _nginx_rss(bench)
        extra = {"nginx": bench.front.pids} if bench.front else {}
        cpu = CpuGroups([server.pid], bench.database, bench.redis_port, extra)
        before = cpu.sample()
        await asyncio.sleep(bench.args.idle_hold)
        held = procs.cpu_delta(before, cpu.sample())
        statuses = await bench.send_one_each(factory)
        accepted = [1 if status == 200 else 0 for status in statuses]
        expected = [[accepted[pks.index(s.conversation_pk)] for s in chunk] for chunk in chunks]
        drained = await asyncio.gather(
            *(
                asyncio.to_thread(client.drain, want, bench.args.idle_drain)
                for client, want in zip(clients, expected, strict=True)
            )
        )
    finally:
        for client in clients:
            client.stop()
    stored = database.stored_events(bench.args.database_url, pks, bench.warm_up_seq)
    return {
        "subscribers": count,
        "conversations": len(pks),
        "client_processes": len(chunks),
        "connected": count,  # every client process reported all its sockets open (or the run failed)
        "drain_s": bench.args.idle_drain,
        "connect_s": connect_seconds,
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "rss_per_connection_bytes": (rss_after - rss_before) / count,
        "hold_s": bench.args.idle_hold,
        "through_nginx": bench.front is not None,
        "nginx_rss_before_bytes": nginx_before,
        "nginx_rss_after_bytes": nginx_after,
        "nginx_rss_per_connection_bytes": (nginx_after - nginx_before) / count if bench.front else None,
        "idle_nginx_cores": held["nginx"] / bench.args.idle_hold if bench.front else None,
        "idle_daphne_cores": held["daphne"] / bench.args.idle_hold,
        "idle_postgres_cores": (held["postgres_backends"] + held["postgres_shared"]) / bench.args.idle_hold,
        "webhooks_sent": len(statuses),
        "webhooks_accepted": sum(accepted),
        "stored": stored,
        **_deliveries([e for chunk in expected for e in chunk], drained),
    }


def _nginx_rss(bench) -> int | None:
    """The resident memory of the nginx master and workers, when there is one."""
    if not bench.front:
        return None
    return sum(procs.rss_bytes(pid) or 0 for pid in bench.front.pids)


def _subscriptions(bench, pks: list[int], count: int) -> list[Subscription]:
    port, scheme = bench.ports[0], "wss" if bench.front else "ws"
    return [
        Subscription(
            conversation_pk=pks[i % len(pks)],
            url=f"{scheme}://127.0.0.1:{port}/ws/conversations/{pks[i % len(pks)]}/events/",
            after=bench.warm_up_seq,
        )
        for i in range(count)
    ]


def _chunks(items: list, parts: int) -> list[list]:
    size = math.ceil(len(items) / parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _start_clients(
    chunks, cookie: str, ready_timeout: float, cafile: str | None
) -> list[SubscriberProcess]:
    """Every client process at once (each connects its sockets one after another)."""
    started = await asyncio.gather(
        *(asyncio.to_thread(SubscriberProcess, chunk, cookie, ready_timeout, cafile) for chunk in chunks),
        return_exceptions=True,
    )
    failures = [result for result in started if isinstance(result, BaseException)]
    if failures:
        for client in started:
            if isinstance(client, SubscriberProcess):
                client.stop()
        raise RuntimeError(f"{len(failures)} of {len(chunks)} subscriber processes failed: {failures[0]}")
    return started


def _deliveries(expected: list[int], drained: list[dict]) -> dict:
    """Received, lost, duplicates, drops and push latency over every subscriber of every client."""
    delivered = tally(expected, [records for result in drained for records in result["records"]])
    drops = [drop for result in drained for drops in result["drops"] for drop in drops]
    return {
        "expected": sum(expected),
        "received": delivered["received"],
        "lost": delivered["lost"],
        "duplicates": delivered["duplicates"],
        "connect_failures": sum(sum(result["connect_failures"]) for result in drained),
        "socket_drops": len(drops),
        "socket_drop_reasons": sorted(set(drops))[:10],
        **{f"push_{key}": value for key, value in report.latency_ms(delivered["push"]).items()},
    }


# --- Report ---------------------------------------------------------------------------


def line(idle: dict) -> str:
    return (
        f"idle subscribers: {idle['connected']:,}/{idle['subscribers']:,} connected,"
        f" {_kib(idle['rss_per_connection_bytes'])} KiB per connection,"
        f" {idle['connect_failures']} handshakes retried, {idle['socket_drops']} drops,"
        f" received {idle['received']:,}/{idle['expected']:,}, lost {idle['lost']}"
    )


def markdown(idle: dict) -> str:
    rows = [
        ("Subscribers requested / connected", f"{idle['subscribers']:,} / {idle['connected']:,}"),
        ("Conversations; client processes", f"{idle['conversations']}; {idle['client_processes']}"),
        ("Time to connect them all, s", f"{idle['connect_s']:.1f}"),
        (
            "Handshakes refused (not accepted within daphne's 5 s), then retried",
            f"{idle['connect_failures']:,}",
        ),
        (
            "daphne RSS before → after, MiB",
            f"{_mib(idle['rss_before_bytes'])} → {_mib(idle['rss_after_bytes'])}",
        ),
        ("**daphne memory per connection, KiB**", f"**{_kib(idle['rss_per_connection_bytes'])}**"),
    ]
    if idle.get("through_nginx"):
        rows += [
            (
                "nginx RSS (master and workers) before → after, MiB",
                f"{_mib(idle['nginx_rss_before_bytes'])} → {_mib(idle['nginx_rss_after_bytes'])}",
            ),
            (
                "**nginx memory per connection (TLS), KiB**",
                f"**{_kib(idle['nginx_rss_per_connection_bytes'])}**",
            ),
            ("nginx CPU while idle, cores", f"{idle['idle_nginx_cores']:.2f}"),
        ]
    rows += [
        (f"Socket drops while held {idle['hold_s']:g} s and after", f"{idle['socket_drops']:,}"),
        (
            "CPU while idle, cores: daphne / PostgreSQL",
            f"{idle['idle_daphne_cores']:.2f} / {idle['idle_postgres_cores']:.2f}",
        ),
        ("Webhooks sent / accepted / stored", _counts(idle, "webhooks_sent", "webhooks_accepted", "stored")),
        (
            f"Events expected / received within {idle['drain_s']:g} s / lost / duplicates",
            _counts(idle, *_DELIVERY),
        ),
        (
            "Push latency of that broadcast p50 / p99 / max, ms",
            " / ".join("–" if idle[key] is None else _ms(idle[key]) for key in _PUSH),
        ),
    ]
    route = "reached through nginx, over TLS" if idle.get("through_nginx") else "reached directly"
    return "\n".join(
        [
            "### Idle WebSocket subscribers on one daphne process",
            "",
            "| Measure | Value |",
            "|---|---|",
            *[f"| {name} | {value} |" for name, value in rows],
            "",
            f"One fresh daphne process ({route}), one run. Memory per connection"
            " = (VmRSS after every socket is open − VmRSS before the first) ÷ connections, so it includes"
            " Channels' consumer, the channel-layer subscription and Twisted's buffers. CPU while idle"
            " includes the process's one resync query for all its subscribers every"
            " `WEBHOOK_RESYNC_SECONDS` (10 s; webhooks/resync.py). A handshake the application has not"
            " accepted within 5 s gets 403 from daphne; the clients then retry after 1 s, doubling, as the"
            " page does. Then one webhook per conversation: every subscriber must receive it"
            " (`--idle-drain` s at most).",
        ]
    )


_PUSH = ("push_p50_ms", "push_p99_ms", "push_max_ms")
_DELIVERY = ("expected", "received", "lost", "duplicates")


def _counts(idle: dict, *keys: str) -> str:
    return " / ".join(_int(idle[key]) for key in keys)


def targets(idle: dict | None) -> list[dict]:
    """The issue's 5,000 subscribers on one process, with the memory per connection."""
    if idle is None:
        return []
    measured = (
        f"{idle['connected']:,} of {idle['subscribers']:,} connected, {idle['socket_drops']} dropped,"
        f" {idle['lost']} lost; {_kib(idle['rss_per_connection_bytes'])} KiB per connection"
    )
    held = idle["connected"] == idle["subscribers"] and idle["socket_drops"] == 0 and idle["lost"] == 0
    passed = None if idle["subscribers"] < TARGET_SUBSCRIBERS else held
    target = "5,000 concurrent WebSocket subscribers on one daphne process, memory per connection reported"
    return [{"target": target, "measured": measured, "pass": passed}]


def _kib(value: float) -> str:
    return f"{value / 1024:,.1f}"


def _mib(value: int) -> str:
    return f"{value / 1024 / 1024:,.1f}"
