"""Pass/fail of each bench.faults scenario, and its generated section of docs/PERFORMANCE.md."""

from pathlib import Path

from bench import fault_counts, report
from bench.fault_scenarios import FAULT_AT, WORKER_LEASE_SECONDS, worker_lease_seconds
from bench.report import _ms

BEGIN = "<!-- bench-faults:begin -->"  # to bench-faults:end: rewritten by bin/bench-faults
END = "<!-- bench-faults:end -->"
FULL_SOAK_MINUTES = 30


# --- Judging -----------------------------------------------------------------------------


def judged(result: dict) -> dict:
    """The result with its checks and "pass": zero loss everywhere; the flood also answers in time."""
    if result["scenario"] == "worker":
        checks = _worker_checks(result)
    else:
        checks = {"zero loss of acknowledged events": fault_counts.zero_loss(result)}
        if result["scenario"] == "flood":
            checks["every answer within 2.5 s"] = late(result) == 0
        if result["scenario"] == "adversary":
            checks.update(_adversary_checks(result))
    return {**result, "checks": checks, "pass": all(checks.values())}


def _adversary_checks(result: dict) -> dict:
    quiet, refused = result["undisturbed"], result["refused_recorded"]
    within_2x = result["ack_p99_ms"] <= 2 * max(quiet["ack_p99_ms"], 1.0)
    # Every attacker sends from 127.0.0.1: one sender, a burst of 30 and 60 a minute per daphne.
    allowance = (30 + 60 * result["elapsed_s"] / 60) * result["processes"]
    return {
        "legitimate ack p99 within 2× of undisturbed": within_2x,
        "unverified bodies cut to 2 KB": refused["unverified_max_body"] <= 2048,
        "refused requests recorded within the allowance": refused["count"] <= allowance,
    }


def late(result: dict) -> int:
    """Attempts answered after LivePerson's 2.5 s, or not at all within its 5 s timeout."""
    return result["answers_over_limit"] + result["timeouts"]


def label(result: dict) -> str:
    if result["scenario"] == "flood":
        return f"flood, {result['concurrency']} connections"
    return result["scenario"]


def _worker_checks(result: dict) -> dict:
    queued, at_kill = result["queued"], result["at_kill"]
    return {
        "every notification delivered": result["finished"] and result["delivered"] == queued,
        "none dropped": result["dropped"] == 0,
        "each stored once": result["stored_distinct"] == queued and result["stored_twice"] == 0,
        "killed holding claims": result["reached_kill_point"] and at_kill["leased"] > 0,
    }


def line(result: dict) -> str:
    """One progress line."""
    failed = [name for name, ok in result["checks"].items() if not ok]
    verdict = "pass" if result["pass"] else "FAIL " + ", ".join(failed)
    if result["scenario"] == "worker":
        return (
            f"worker: {result['fault']}; delivered {result['delivered']}/{result['queued']}, stored"
            f" {result['stored_distinct']} ({result['stored_twice']} twice), redeliveries deduped"
            f" {result['redeliveries_deduped']}: {verdict}"
        )
    unanswered = result["connection_errors"] + result["connections_refused"]
    return (
        f"{label(result)}: {result['fault']}; sent {result['sent']:,},"
        f" acknowledged {result['acknowledged']:,}, stored {result['stored']:,},"
        f" delivered {result['delivered']:,}/{result['expected_deliveries']:,},"
        f" 503 {result['status_503']:,}, no answer {unanswered:,}, retries {result['retries']:,},"
        f" longest answer {_ms_or_dash(result['answer_max_ms'])} ms, late {late(result):,}: {verdict}"
    )


def _ms_or_dash(value) -> str:
    return "–" if value is None else _ms(value)


def _verdict(result: dict) -> str:
    if result["pass"]:
        return "**pass**"
    return "**FAIL**: " + ", ".join(name for name, ok in result["checks"].items() if not ok)


# --- Markdown --------------------------------------------------------------------------------


def write_docs(path: Path, result: dict) -> None:
    report.write_docs(path, markdown(result), BEGIN, END)


def markdown(result: dict) -> str:
    by_name = {s["scenario"]: s for s in result["scenarios"]}
    parts = [BEGIN, "## Faults, floods and soak: latest results", "", _provenance(result), ""]
    loads = [s for s in result["scenarios"] if s["scenario"] not in ("worker", "soak", "adversary")]
    if loads:
        parts += ["### Faults under load, and the retry flood", "", _loads_table(loads), "", LOAD_NOTES, ""]
    if "worker" in by_name:
        parts += ["### The worker killed in the middle of a batch", "", _worker_table(by_name["worker"]), ""]
        parts += [_worker_notes(result["config"]), ""]
    if "adversary" in by_name:
        parts += ["### Legitimate traffic under attack", "", _adversary_table(by_name["adversary"]), ""]
        parts += [ADVERSARY_NOTES, ""]
    if "soak" in by_name:
        parts += [*_soak(by_name["soak"], result["config"]), ""]
    return "\n".join([*parts, END]) + "\n"


def _provenance(result: dict) -> str:
    config, machine = result["config"], result["machine"]
    setup = (
        f"- Setup: {config['processes']} daphne processes and a worker (`manage.py worker`), on a PostgreSQL"
        f" cluster and a Redis of the run's own; {config['conversations']} conversations ×"
        f" {config['subscribers']} WebSocket subscriber(s) per scenario; faults under load:"
        f" {config['rate']:g} webhooks/s for {config['duration']:g} s, the fault {FAULT_AT:.0%} in,"
        f" outages of {config['outage']:g} s; LivePerson's retry delays × {config['retry_scale']:g}."
    )
    host = (
        f"- Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['kernel']}; Python"
        f" {machine['python']}; PostgreSQL {machine['postgresql']}; Redis {machine['redis']}; Django"
        f" {machine['django']}, daphne {machine['daphne']}, channels {machine['channels']}. Code:"
        f" `{machine['git']}`. Load average at start: {machine['loadavg']} (the machine is shared)."
    )
    command = f"Measured {result['started_at']} with `{result['command']}`"
    return "\n".join([f"{command} (raw figures: `{result['json_path']}`).", "", setup, host])


def _loads_table(loads: list[dict]) -> str:
    rows = [
        "| Scenario | What happened | Sent / acknowledged / stored | Delivered / expected | Lost"
        " | Stored twice | Attempts: 200 / 503 / other / no answer in 5 s / reset or refused | Retries"
        " | Redeliveries deduped | Ack p50 / p99 / max ms | Longest answer ms | Late | Acknowledged/s"
        " | Subscriber drops (refused reconnects) | Result |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in loads:
        lost = s["acknowledged_not_stored"] + s["lost_at_subscribers"] + s["unacknowledged"]
        resets = s["connection_errors"] - s["timeouts"] + s["connections_refused"]
        acks = " / ".join(_ms_or_dash(s[f"ack_{k}"]) for k in ("p50_ms", "p99_ms", "max_ms"))
        rows.append(
            f"| {label(s)} | {s['fault']} | {s['sent']:,} / {s['acknowledged']:,} / {s['stored']:,}"
            f" | {s['delivered']:,} / {s['expected_deliveries']:,} | {lost:,} | {s['stored_twice']:,}"
            f" | {s['status_200']:,} / {s['status_503']:,} / {s['status_other']:,} / {s['timeouts']:,}"
            f" / {resets:,} | {s['retries']:,} | {s['redeliveries_deduped']:,} | {acks}"
            f" | {_ms_or_dash(s['answer_max_ms'])} | {late(s):,} | {s['acknowledged_per_s'] or 0:,.0f}"
            f" | {s['socket_drops']:,} ({s['reconnects_refused']:,}) | {_verdict(s)} |"
        )
    return "\n".join(rows)


LOAD_NOTES = (
    "Sent counts distinct events. The sender behaves like LivePerson: an event answered with anything but"
    " 200, or not answered (connection refused or reset, no answer within 5 s), is posted again later with"
    " the same body (LivePerson's back-off, 2 s, 4 s, 8 s..., times the retry scale) until it is"
    " acknowledged; a port that refused is left alone for a second (a load balancer's failover)."
    " Acknowledged = answered 200 once. Stored counts rows of `webhooks_event` by dedupe key (conversation"
    " and sequence): none may be stored twice, and every acknowledged one must be there. Delivered counts"
    " the distinct events each subscriber received: it must get every stored event of its conversation."
    " Subscribers reconnect like the page, with `?after=<last seq>`, moving to another daphne when theirs"
    " refuses. Lost = acknowledged but not stored, stored but not delivered to a subscriber, or never"
    " acknowledged before the scenario's deadline. Redeliveries deduped: requests the receiver recorded as"
    " already stored (committed, but the answer was lost, then retried). Ack latency is per attempt"
    " answered 200, from writing the request to reading the answer; the longest answer is over every"
    " answer, 503s included. Late = answered after LivePerson's 2.5 s limit, or not within its 5 s timeout."
)


def _adversary_table(s: dict) -> str:
    quiet = s["undisturbed"]
    lost = s["acknowledged_not_stored"] + s["lost_at_subscribers"] + s["unacknowledged"]
    rows = [
        "| Phase | Legitimate acknowledged | Ack p50 / p99 ms | Push p50 / p99 ms | Database growth MB"
        " | Lost |",
        "|---|---|---|---|---|---|",
        f"| undisturbed | {quiet['acknowledged']:,} | {_ms_or_dash(quiet['ack_p50_ms'])} /"
        f" {_ms_or_dash(quiet['ack_p99_ms'])} | {_ms_or_dash(quiet['push_p50_ms'])} /"
        f" {_ms_or_dash(quiet['push_p99_ms'])} | {quiet['database_growth_bytes'] / 1e6:.1f} | – |",
        f"| under attack | {s['acknowledged']:,} | {_ms_or_dash(s['ack_p50_ms'])} /"
        f" {_ms_or_dash(s['ack_p99_ms'])} | {_ms_or_dash(s['push_p50_ms'])} /"
        f" {_ms_or_dash(s['push_p99_ms'])} | {s['database_growth_bytes'] / 1e6:.1f} | {lost:,} |",
        "",
        "| Attacker | Requests | Answers | Longest answer ms, by status | MB sent |",
        "|---|---|---|---|---|",
    ]
    for attacker in s["attackers"]:
        answers = ", ".join(f"{status}: {n:,}" for status, n in sorted(attacker["statuses"].items()))
        requests = sum(attacker["statuses"].values())
        sent_mb = attacker["bytes_sent"] / 1e6
        by_status = sorted(attacker.get("max_ms", {}).items())
        slowest = ", ".join(f"{status}: {ms:,.0f}" for status, ms in by_status)
        rows.append(f"| {attacker['name']} | {requests:,} | {answers} | {slowest} | {sent_mb:,.0f} |")
    rows += [
        "",
        f"Refused requests recorded under attack: {s['refused_recorded']['count']:,}, their bodies"
        f" {s['refused_recorded']['body_bytes'] / 1e3:,.0f} kB in all (unverified ones at most"
        f" {s['refused_recorded']['unverified_max_body']:,} bytes each). Result: {_verdict(s)}.",
    ]
    return "\n".join(rows)


ADVERSARY_NOTES = (
    "The legitimate sender is the same LivePerson-like open loop as above, at `--adversary-rate`, first"
    " alone and then while three hostile clients each send as fast as one connection allows: a tenant"
    " with its own app posting validly signed notifications of 1,000 changes padded to the 1 MiB body"
    " limit, alternating with 1,001 changes (refused, 413); unauthenticated requests with a 21-character"
    " method and 40 junk headers; and 1 MB random bodies claiming the legitimate account, unsigned."
    " Database growth is `pg_database_size` after minus before the phase (the legitimate events, and"
    " under attack the tenant's stored events too); unverified requests keep 2 KB of their body, and"
    " each sender's address may have 30 + 60 a minute recorded per process (webhooks.refusals)."
)


def _worker_table(s: dict) -> str:
    at_kill = s["at_kill"]
    return "\n".join(
        [
            "| Queued | At the kill: delivered / claimed / posted, not recorded"
            " | POSTs recorded by the sandbox / received by the app | Redeliveries deduped | Delivered"
            " | Stored (distinct) / twice | Dropped / pending | Took s | Result |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {s['queued']:,} | {at_kill['delivered']:,} / {at_kill['leased']:,}"
            f" / {at_kill['unrecorded_posts']:,} | {s['posts_recorded']:,} / {s['posts_received']:,}"
            f" | {s['redeliveries_deduped']:,} | {s['delivered']:,}"
            f" | {s['stored_distinct']:,} / {s['stored_twice']:,} | {s['dropped']:,} / {s['pending']:,}"
            f" | {s['elapsed_s']:.1f} | {_verdict(s)} |",
        ]
    )


def _worker_notes(config: dict) -> str:
    timeout = config["worker_post_timeout"]
    return (
        "The sandbox's outbox is filled through its messaging core (per conversation, one ExConversation"
        " UPSERT and the consumer's messages: `bench/fault_seed.py`) for an app whose webhooks point at a"
        " daphne. The worker runs only the dispatcher job (`sandbox.dispatcher.run_due`) and, once the given"
        " share is delivered, is frozen (SIGSTOP) until it holds claims with a POST the app has received but"
        " the worker has not recorded, then killed (SIGKILL). A second worker takes the dead one's claims"
        f" over when their lease ends (`WORKER_LEASE_SECONDS={WORKER_LEASE_SECONDS}`, which the dispatcher"
        f" raises to its connect + read timeouts + 5 s: {worker_lease_seconds(timeout):g} s with"
        f" {timeout:g} s timeouts) and posts them again: the receiver stores such a redelivery once."
    )


def _soak(s: dict, config: dict) -> list[str]:
    minutes = config["soak_minutes"]
    short = ""
    if minutes < FULL_SOAK_MINUTES:
        short = (
            f" **A short run ({minutes:g} min), to show the report's format; the soak itself is"
            f" `bin/bench-faults --scenarios soak --soak-minutes {FULL_SOAK_MINUTES} --rate 200`.**"
        )
    lost = s["acknowledged_not_stored"] + s["lost_at_subscribers"] + s["unacknowledged"]
    summary = (
        f"{s['fault']}, windows of {s['window_seconds']:g} s: sent {s['sent']:,}, acknowledged"
        f" {s['acknowledged']:,}, stored {s['stored']:,}, delivered {s['delivered']:,} of"
        f" {s['expected_deliveries']:,}, lost {lost:,}, late {late(s):,}: {_verdict(s)}.{short}"
    )
    notes = "RSS: each process's resident memory at the end of the window (VmRSS of /proc/<pid>/status)."
    return ["### Soak", "", summary, "", _windows_table(s), "", _trend_table(s), "", notes]


def _windows_table(s: dict) -> str:
    names = list(s["windows"][0]["rss_mb"])
    rows = [
        "| Window | Acknowledged | Ack p50 / p99 ms | Push p50 / p99 ms | "
        + " | ".join(f"RSS MB, {name}" for name in names)
        + " |",
        "|" + "---|" * (4 + len(names)),
    ]
    for w in s["windows"]:
        ack = f"{_ms_or_dash(w['ack_p50_ms'])} / {_ms_or_dash(w['ack_p99_ms'])}"
        push = f"{_ms_or_dash(w['push_p50_ms'])} / {_ms_or_dash(w['push_p99_ms'])}"
        memory = " | ".join(f"{w['rss_mb'].get(name, 0):.1f}" for name in names)
        rows.append(f"| {w['window']} | {w['acknowledged']:,} | {ack} | {push} | {memory} |")
    return "\n".join(rows)


def _trend_table(s: dict) -> str:
    rows = ["| Series | First window | Last window | Slope per minute (least squares) |", "|---|---|---|---|"]
    for name, t in s["trend"].items():
        rows.append(f"| {name} | {_num(t['first'])} | {_num(t['last'])} | {_num(t['slope_per_min'], True)} |")
    return "\n".join(rows)


def _num(value, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+,.2f}" if signed else f"{value:,.1f}"
