"""The adversary scenario of bench.faults: legitimate webhooks at a steady rate,
first alone, then while three hostile clients send as fast as one connection
each allows:

- a tenant with its own app (every user can read their app's secret), posting
  validly signed notifications with the most changes allowed, as large as the
  body limit lets them be, and ones just over the changes limit;
- requests with over-long methods and junk headers, unauthenticated;
- 1 MB bodies claiming the legitimate account, unsigned.

It reports the legitimate traffic's acknowledgement and push latencies in both
phases, what the hostile requests were answered, and how much the database
grew in each phase, with what unverified requests added to it.

The hostile clients run in a process of their own, from requests built before
the phase starts: built in the legitimate sender's event loop, each 1 MB body
held up its scheduled sends, and the legitimate latency measured the
generator, not the service.
"""

import asyncio
import itertools
import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field

from bench import database, replay
from bench.fault_scenarios import Context, live_conversations, log, settle
from bench.http_load import Connection
from bench.replay import Replayer
from bench.seed import ACCOUNT_ID
from webhooks import payloads

TENANT_ACCOUNT = "90000099"
TENANT_CLIENT = "adversary-0000-4000-8000-000000000099"
TENANT_SECRET = "the-adversary-tenant-can-read-its-own-secret"
BODY_LIMIT = 1024 * 1024  # WEBHOOK_MAX_BODY_BYTES's default
MAX_CHANGES = 1000  # WEBHOOK_MAX_CHANGES's default


@dataclass
class Attacker:
    """One hostile client's counts: answers by status."""

    name: str
    statuses: dict = field(default_factory=dict)
    bytes_sent: int = 0
    latencies: dict = field(default_factory=dict)  # status: [seconds to the answer]

    def count(self, status: int, size: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.setdefault(status, []).append(seconds)
        self.bytes_sent += size

    def summary(self) -> dict:
        slowest = {status: round(max(times) * 1000, 1) for status, times in self.latencies.items()}
        return {
            "name": self.name,
            "statuses": self.statuses,
            "bytes_sent": self.bytes_sent,
            "max_ms": slowest,
        }


async def adversary(ctx: Context) -> dict:
    """Both phases on the same daphnes and worker; each phase with its own conversations."""
    args = ctx.args
    _seed_tenant(ctx.env)
    with ctx.daphnes(args.processes) as servers, ctx.worker():
        ports = [server.port for server in servers]
        quiet = await _phase(ctx, ports, attackers=False)
        attacked = await _phase(ctx, ports, attackers=True)
    return {
        "scenario": "adversary",
        "fault": f"{args.adversary_rate:g}/s legitimate for {args.duration:g} s, alone then under attack",
        **attacked,
        "undisturbed": {key: quiet[key] for key in _SUMMARY},
        "attackers": attacked.pop("attackers_seen"),
    }


_SUMMARY = ("ack_p50_ms", "ack_p99_ms", "push_p50_ms", "push_p99_ms", "database_growth_bytes", "acknowledged")


async def _phase(ctx: Context, ports: list[int], *, attackers: bool) -> dict:
    args = ctx.args
    before = _database_size(ctx.database_url)
    first_delivery = _last_delivery_id(ctx.database_url)
    async with live_conversations(ctx, ports, args.conversations) as live:
        replayer = Replayer(ports, retry_scale=args.retry_scale)
        deadline = time.perf_counter() + args.duration + args.settle
        hostile = _HostileProcess(ports, args.duration) if attackers else None
        if hostile is not None:
            await hostile.ready()
        result = await replay.open_loop(replayer, live.factory, args.adversary_rate, args.duration, deadline)
        attackers_seen = await hostile.stop() if hostile is not None else []
        counts, _ = await settle(ctx, live, result, args.drain)
    counts["database_growth_bytes"] = _database_size(ctx.database_url) - before
    counts["refused_recorded"] = _refused_recorded(ctx.database_url, first_delivery)
    counts["processes"] = args.processes
    counts["attackers_seen"] = attackers_seen
    log(
        f"  {'attacked' if attackers else 'undisturbed'}: ack p50/p99 {counts['ack_p50_ms']}/"
        f"{counts['ack_p99_ms']} ms, push p99 {counts['push_p99_ms']} ms, database +"
        f"{counts['database_growth_bytes'] / 1e6:.1f} MB"
    )
    return counts


class _HostileProcess:
    """The three hostile clients in a child process: started, ready, stopped, their counts."""

    def __init__(self, ports: list[int], duration: float):
        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        # Enough distinct requests for the phase at the rates seen (a few per second each).
        self._process = context.Process(target=_hostile_main, args=(ports, int(duration * 4) + 8, child))
        self._process.start()

    async def ready(self) -> None:
        """Until the requests are built and the clients are about to send."""
        assert await asyncio.to_thread(self._parent.recv) == "ready"

    async def stop(self) -> list[dict]:
        self._parent.send("stop")
        summaries = await asyncio.to_thread(self._parent.recv)
        await asyncio.to_thread(self._process.join, 30)
        return summaries


def _hostile_main(ports: list[int], distinct: int, pipe) -> None:
    requests = [
        (
            Attacker("tenant: most changes"),
            ports[0],
            list(itertools.islice(_many_change_requests(ports[0]), distinct)),
        ),
        (Attacker("long methods"), ports[-1], list(itertools.islice(_junk_method_requests(ports[-1]), 1))),
        (Attacker("1 MB"), ports[0], list(itertools.islice(_unsigned_requests(ports[0]), 4))),
    ]
    asyncio.run(_hostile(requests, pipe))


async def _hostile(requests: list, pipe) -> None:
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_keep_sending(attacker, port, itertools.cycle(built), stop))
        for attacker, port, built in requests
    ]
    pipe.send("ready")
    await asyncio.to_thread(pipe.recv)  # "stop"
    stop.set()
    await asyncio.gather(*tasks)
    pipe.send([attacker.summary() for attacker, _, _ in requests])


async def _keep_sending(attacker: Attacker, port: int, requests, stop: asyncio.Event) -> None:
    """One connection, the next request as soon as the last is answered, until `stop`."""
    connection = None
    while not stop.is_set():
        request = next(requests)
        if connection is None or not connection.usable:
            connection = await Connection.open(port)
        sent = time.perf_counter()
        try:
            status = await asyncio.wait_for(connection.exchange(request), 30)
        except (OSError, EOFError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            connection.close()
            status = 0
        attacker.count(status, len(request), time.perf_counter() - sent)
    if connection is not None:
        connection.close()


def _many_change_requests(port: int):
    """Signed notifications with MAX_CHANGES changes padded to the body limit, and with one more."""
    sequence = 0
    conversation = "adversary-conversation"
    padding = _padding_for(MAX_CHANGES)
    while True:
        for count in (MAX_CHANGES, MAX_CHANGES + 1):
            changes = [
                payloads.content(sequence + n, text=padding, conversation=conversation) for n in range(count)
            ]
            sequence += count
            body = payloads.encode(payloads.messaging(*changes))
            headers = payloads.headers_for(
                body, account=TENANT_ACCOUNT, client_id=TENANT_CLIENT, secret=TENANT_SECRET
            )
            yield _request("POST", port, headers, body)


def _padding_for(count: int) -> str:
    empty = len(
        payloads.encode(payloads.messaging(*[payloads.content(10**6, text="") for _ in range(count)]))
    )
    return "p" * max(0, (BODY_LIMIT - empty) // count - 1)


def _junk_method_requests(port: int):
    junk = {f"x-junk-{n}": "j" * 200 for n in range(40)}
    while True:
        yield _request("PROPFINDPROPFINDPROPF", port, junk, b"")


def _unsigned_requests(port: int):
    """1 MB claiming the legitimate account: random bytes unsigned, and JSON with a made-up
    signature for an app nobody knows (held, within the account's room for held requests)."""
    headers = {"x-liveperson-account-id": ACCOUNT_ID, "x-liveperson-client-id": "unsigned-claim"}
    forged = {**headers, "x-liveperson-signature": "sha1=AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    while True:
        yield _request("POST", port, headers, os.urandom(BODY_LIMIT - 1024))
        junk = json.dumps({"kind": "notification", "junk": os.urandom(380_000).hex()}).encode()
        yield _request("POST", port, forged, junk)


def _request(method: str, port: int, headers: dict, body: bytes) -> bytes:
    head = [
        f"{method} /notifications/event HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(body)}",
    ]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# --- The database's side -------------------------------------------------------------


def _seed_tenant(env: dict) -> None:
    """The hostile tenant's installation, its secret encrypted as the app stores it."""
    database.manage(
        {**env, "BENCH_TENANT": json.dumps([TENANT_ACCOUNT, TENANT_CLIENT, TENANT_SECRET])},
        "shell",
        "-c",
        "import json, os; from apps_admin.models import Installation;"
        " a, c, s = json.loads(os.environ['BENCH_TENANT']);"
        " i = Installation(account_id=a, client_id=c, name='Adversary', enabled=True);"
        " i.client_secret = s; i.save()",
    )


def _database_size(url: str) -> int:
    with database.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def _last_delivery_id(url: str) -> int:
    with database.connect(url) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM webhooks_delivery").fetchone()[0]


def _refused_recorded(url: str, after_id: int) -> dict:
    """The refused requests recorded since `after_id`: how many, their bodies' bytes, and the
    longest body of an unverified one."""
    with database.connect(url) as conn:
        count, body_bytes, unverified_max = conn.execute(
            "SELECT count(*), coalesce(sum(octet_length(body)), 0),"
            " coalesce(max(octet_length(body)) FILTER (WHERE signature_valid IS NOT TRUE), 0)"
            " FROM webhooks_delivery WHERE id > %s AND status >= 400",
            (after_id,),
        ).fetchone()
    return {"count": count, "body_bytes": body_bytes, "unverified_max_body": unverified_max}
