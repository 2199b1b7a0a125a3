"""The counts of bench.faults: what was sent, acknowledged, stored and delivered.

Plain SQL on the run's database (the benchmark process never imports
Django), and the arithmetic that turns the sender's attempts and the
subscribers' records into a scenario's figures. Zero loss means: every
webhook acknowledged (200) is stored exactly once (by its dedupe key:
conversation and sequence) and every stored event reached every subscriber
of its conversation.
"""

from collections import Counter

from bench import database, report
from bench.replay import ACKNOWLEDGED, ANSWER_TIMEOUT_SECONDS, REFUSED, ReplayResult
from bench.seed import CLIENT_ID

ANSWER_LIMIT_SECONDS = 2.5  # LivePerson's: answer within 2.5 s (docs/WEBHOOKS.md)
TIMED_OUT = ANSWER_TIMEOUT_SECONDS - 0.05  # an attempt that ended in error this late got no answer
WARM_UP_SEQ = 1


# --- The database ------------------------------------------------------------------------


def last_delivery_id(url: str) -> int:
    with database.connect(url) as connection:
        return connection.execute("SELECT COALESCE(MAX(id), 0) FROM webhooks_delivery").fetchone()[0]


def deliveries_since(url: str, after_id: int) -> dict[str, int]:
    """Requests the receiver recorded after `after_id`, by reason (accepted, duplicate...)."""
    with database.connect(url) as connection:
        rows = connection.execute(
            "SELECT reason, COUNT(*) FROM webhooks_delivery WHERE id > %s GROUP BY reason", (after_id,)
        ).fetchall()
    return dict(rows)


def stored_events(url: str, conversation_pks: list[int]) -> list[tuple[int, str, str | None, int]]:
    """(conversation pk, conversation id, dedupe key, rows) of the events after the warm-up."""
    with database.connect(url) as connection:
        return connection.execute(
            "SELECT c.id, c.conversation_id, e.dedupe_key, COUNT(*) FROM webhooks_event e"
            " JOIN webhooks_conversation c ON c.id = e.conversation_id"
            " WHERE e.conversation_id = ANY(%s) AND e.seq > %s GROUP BY 1, 2, 3",
            (conversation_pks, WARM_UP_SEQ),
        ).fetchall()


def notifications(url: str) -> dict[str, int]:
    """The sandbox outbox of the benchmark app: pending, delivered, dropped, and claimed now."""
    with database.connect(url) as connection:
        rows = connection.execute(
            "SELECT n.status, COUNT(*), COUNT(*) FILTER (WHERE n.lease_token <> '')"
            " FROM sandbox_notification n JOIN sandbox_installation i ON i.id = n.installation_id"
            " WHERE i.client_id = %s GROUP BY n.status",
            (CLIENT_ID,),
        ).fetchall()
    counts = {"pending": 0, "delivered": 0, "dropped": 0, "leased": 0}
    for status, count, leased in rows:
        counts[status] = count
        counts["leased"] += leased
    return counts


def posts_recorded(url: str) -> int:
    """POSTs the sandbox's dispatcher recorded (a killed worker's last ones are not)."""
    with database.connect(url) as connection:
        return connection.execute(
            "SELECT COUNT(*) FROM sandbox_deliveryattempt a"
            " JOIN sandbox_notification n ON n.id = a.notification_id"
            " JOIN sandbox_installation i ON i.id = n.installation_id WHERE i.client_id = %s",
            (CLIENT_ID,),
        ).fetchone()[0]


def events_of(url: str, conversation_ids: list[str]) -> list[tuple[str | None, int]]:
    """(dedupe key, rows) of every event stored for these LivePerson conversation ids."""
    with database.connect(url) as connection:
        return connection.execute(
            "SELECT e.dedupe_key, COUNT(*) FROM webhooks_event e"
            " JOIN webhooks_conversation c ON c.id = e.conversation_id"
            " WHERE c.conversation_id = ANY(%s) GROUP BY 1",
            (conversation_ids,),
        ).fetchall()


# --- A load scenario's figures --------------------------------------------------------------


def load_counts(factory, subscribed_pks, load: ReplayResult, expected, received, stored, deliveries):
    """The figures of one load scenario, and its push latencies as [(sent ns, seconds)].

    `subscribed_pks`, `expected` and `received["records"]` go by subscriber.
    """
    acknowledged = {f"ms:{factory.conversations[index]}:{sequence}" for index, sequence in load.acknowledged}
    rows = Counter()
    per_conversation = Counter()
    for pk, _, key, count in stored:
        rows[key] += count
        per_conversation[pk] += count
    wanted = [max(want, per_conversation[pk]) for pk, want in zip(subscribed_pks, expected, strict=True)]
    subscribers, push = _subscriber_counts(expected, wanted, received)
    return {
        **_attempt_counts(load),
        "stored": sum(rows.values()),
        "acknowledged_not_stored": len(acknowledged - set(rows)),
        "stored_twice": sum(count - 1 for count in rows.values() if count > 1),
        "stored_not_acknowledged": len(set(rows) - acknowledged),
        "redeliveries_deduped": deliveries.get("duplicate", 0),
        "deliveries_recorded": dict(sorted(deliveries.items())),
        **subscribers,
        **{f"push_{key}": value for key, value in report.latency_ms([s for _, s in push]).items()},
    }, push


def _attempt_counts(load: ReplayResult) -> dict:
    statuses = Counter(status for _, status, _ in load.attempts)
    answered = [latency for _, status, latency in load.attempts if status > 0]
    acks = [latency for _, status, latency in load.attempts if status in ACKNOWLEDGED]
    busy = [latency for _, status, latency in load.attempts if status == 503]
    sent = len(load.acknowledged) + len(load.unacknowledged)
    return {
        "sent": sent,
        "acknowledged": len(load.acknowledged),
        "unacknowledged": len(load.unacknowledged),
        "attempts": len(load.attempts),
        "retries": len(load.attempts) - sent,
        "status_200": sum(statuses[s] for s in ACKNOWLEDGED),
        "status_503": statuses[503],
        "status_other": sum(n for s, n in statuses.items() if s > 0 and s not in ACKNOWLEDGED and s != 503),
        "connection_errors": statuses[0],
        "timeouts": sum(1 for _, status, latency in load.attempts if status == 0 and latency >= TIMED_OUT),
        "connections_refused": statuses[REFUSED],
        "elapsed_s": load.elapsed,
        "acknowledged_per_s": len(load.acknowledged) / load.elapsed if load.elapsed else None,
        **{f"ack_{key}": value for key, value in report.latency_ms(acks).items()},
        "busy_max_ms": report.latency_ms(busy)["max_ms"],
        "answer_max_ms": report.latency_ms(answered)["max_ms"],
        "answers_over_limit": sum(1 for latency in answered if latency > ANSWER_LIMIT_SECONDS),
        "generator_cpu_s": load.cpu_seconds,
        "timeline": timeline(load),
    }


def timeline(load: ReplayResult) -> list[dict]:
    """Per second of the load: attempts by outcome, and the longest wait for one."""
    seconds: dict[int, Counter] = {}
    longest: Counter = Counter()
    for sent, status, latency in load.attempts:
        outcome = {200: "ok", 201: "ok", 503: "busy", 0: "error", REFUSED: "refused"}.get(status, "other")
        seconds.setdefault(int(sent), Counter())[outcome] += 1
        longest[int(sent)] = max(longest[int(sent)], round(latency * 1000))
    return [{"second": s, **counts, "longest_ms": longest[s]} for s, counts in sorted(seconds.items())]


def _subscriber_counts(expected: list[int], wanted: list[int], received: dict) -> tuple[dict, list]:
    """Each subscriber must hold seqs 2..1+`wanted` (its conversation's stored events), once each."""
    lost = duplicates = unique = 0
    push = []
    for want, records in zip(wanted, received["records"], strict=True):
        seqs = {record[0] for record in records}
        lost += len(set(range(WARM_UP_SEQ + 1, WARM_UP_SEQ + 1 + want)) - seqs)
        unique += len(seqs)
        duplicates += len(records) - len(seqs)
        push += [(sent, (got - sent) / 1e9) for _, _, got, sent in records if sent is not None]
    drops = [reason for reasons in received["drops"] for reason in reasons]
    return {
        "subscribers": len(expected),
        "expected_deliveries": sum(expected),
        "delivered": unique,
        "lost_at_subscribers": lost,
        "delivered_twice": duplicates,
        "socket_drops": sum(1 for reason in drops if not reason.startswith("reconnect failed")),
        "reconnects_refused": sum(1 for reason in drops if reason.startswith("reconnect failed")),
        "socket_drop_reasons": sorted({reason[:120] for reason in drops})[:6],
    }, push


def zero_loss(counts: dict) -> bool:
    """Every acknowledged event stored once and delivered to every subscriber; every event acknowledged."""
    keys = (
        "acknowledged_not_stored",
        "stored_twice",
        "lost_at_subscribers",
        "delivered_twice",
        "unacknowledged",
    )
    return all(counts.get(key, 0) == 0 for key in keys)


# --- The worker scenario's figures -------------------------------------------------------------


def worker_counts(url: str, conversation_ids: list[str], first_delivery_id: int) -> dict:
    outbox = notifications(url)
    events = events_of(url, conversation_ids)
    deliveries = deliveries_since(url, first_delivery_id)
    return {
        "delivered": outbox["delivered"],
        "pending": outbox["pending"],
        "dropped": outbox["dropped"],
        "posts_recorded": posts_recorded(url),
        "posts_received": sum(deliveries.values()),
        "redeliveries_deduped": deliveries.get("duplicate", 0),
        "deliveries_recorded": dict(sorted(deliveries.items())),
        "stored": sum(count for _, count in events),
        "stored_distinct": len(events),
        "stored_twice": sum(count - 1 for _, count in events if count > 1),
        "stored_without_key": sum(count for key, count in events if key is None),
    }


# --- The soak's windows -------------------------------------------------------------------------


def soak_windows(load: ReplayResult, push: list, memory: list, start_ns: int, args) -> dict:
    """Per --sample-seconds window: ack and push p50/p99, RSS at its end; first vs last, and slopes."""
    width = args.sample_seconds
    count = max(1, round(args.soak_minutes * 60 / width))
    windows = []
    for k in range(count):
        low, high = k * width, (k + 1) * width
        acks = [lat for sent, status, lat in load.attempts if status in ACKNOWLEDGED and low <= sent < high]
        pushes = [lat for sent, lat in push if low <= (sent - start_ns) / 1e9 < high]
        rss = _sample_near(memory, high)
        windows.append(
            {
                "window": k + 1,
                "acknowledged": len(acks),
                **{f"ack_{key}": value for key, value in report.latency_ms(acks).items()},
                **{f"push_{key}": value for key, value in report.latency_ms(pushes).items()},
                "rss_mb": {name: value / 2**20 for name, value in rss.items() if value is not None},
            }
        )
    return {"window_seconds": width, "windows": windows, "trend": _trend(windows, width)}


def _sample_near(memory: list, at: float) -> dict:
    return min(memory, key=lambda sample: abs(sample[0] - at))[1] if memory else {}


def _trend(windows: list[dict], width: float) -> dict:
    """First and last window, and the least-squares slope per minute, of each series."""
    series = {
        "ack_p99_ms": [w["ack_p99_ms"] for w in windows],
        "push_p99_ms": [w["push_p99_ms"] for w in windows],
    }
    for name in windows[0]["rss_mb"]:
        series[f"rss_mb {name}"] = [w["rss_mb"].get(name) for w in windows]
    return {
        name: {"first": values[0], "last": values[-1], "slope_per_min": _slope(values, width)}
        for name, values in series.items()
    }


def _slope(values: list, width: float) -> float | None:
    points = [(i * width / 60, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
