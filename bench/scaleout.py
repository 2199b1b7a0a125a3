"""Scale-out with daphne processes, from figures measured in one run (`--processes 1,2`).

Every count has its own stack (daphnes, floor daphnes, nginx with --nginx),
all started side by side; each round measures the closed-loop max and the
floor of every count in turn, so they share the machine's conditions.
"""

from bench.report import _cell, _int, _median, _ratio


def suffix(count: int, first: int) -> str:
    """What tells a count's scenarios apart: none for the first (the rates' stack), else the count."""
    return "" if count == first else f", {count} processes"


def rows(aggregated: dict, counts: list[int]) -> list[dict]:
    """Per process count: throughput, per process, CPU per webhook, and their ratios to the fewest."""
    measured = []
    for count in sorted(counts):
        top = aggregated.get(f"max{suffix(count, counts[0])}") or {}
        floor = aggregated.get(f"floor{suffix(count, counts[0])}") or {}
        rate, cpu = _median(top, "accepted_per_s"), _median(top, "cpu_us_per_webhook")
        elapsed = _median(top, "elapsed_s")
        measured.append(
            {
                "processes": count,
                "accepted_per_s": top.get("accepted_per_s"),
                "per_process_per_s": rate / count if rate else None,
                "cpu_us_per_webhook": top.get("cpu_us_per_webhook"),
                "webhooks_per_cpu_s": 1e6 / cpu if cpu else None,
                "server_cores": rate * cpu / 1e6 if rate and cpu else None,
                "daphne_cores_per_process": _per_second(_median(top, "cpu_daphne_s"), elapsed, count),
                "generator_cores": _per_second(_median(top, "generator_cpu_s"), elapsed, 1),
                "floor_per_s": floor.get("requests_per_s"),
                "lost": top.get("totals", {}).get("lost"),
            }
        )
    base = measured[0]
    for row in measured:
        row["ratio"] = _divide(_median(row, "accepted_per_s"), _median(base, "accepted_per_s"))
        row["efficiency_ratio"] = _divide(row["webhooks_per_cpu_s"], base["webhooks_per_cpu_s"])
        row["of_floor"] = _divide(_median(row, "accepted_per_s"), _median(row, "floor_per_s"))
    return measured


def _per_second(seconds, elapsed, count: int) -> float | None:
    return seconds / elapsed / count if seconds is not None and elapsed else None


def _divide(numerator, denominator) -> float | None:
    return numerator / denominator if numerator and denominator else None


def markdown(measured: list[dict], config: dict) -> str:
    base = measured[0]["processes"]
    table = [
        "| daphne processes | Accepted/s: median (min–max) | Per process | vs "
        f"{base} | Server CPU µs/webhook | Webhooks per server CPU-second | vs {base}"
        " | Cores busy: servers / daphne per process / generator | Floor req/s | ÷ floor | Lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in measured:
        table.append(
            f"| {row['processes']} | {_cell(row, 'accepted_per_s', _int)}"
            f" | {_maybe(row['per_process_per_s'])} | {_maybe(row['ratio'], _ratio)}"
            f" | {_cell(row, 'cpu_us_per_webhook', _int)}"
            f" | {_maybe(row['webhooks_per_cpu_s'])} | {_maybe(row['efficiency_ratio'], _ratio)}"
            f" | {_cores(row)} | {_cell(row, 'floor_per_s', _int)} | {_maybe(row['of_floor'], _ratio)}"
            f" | {row['lost'] if row['lost'] is not None else '–'} |"
        )
    return "\n".join(
        [
            "### Scale-out with daphne processes",
            "",
            *table,
            "",
            f"Closed loop with {config['concurrency']} connections, spread over the processes"
            + (" by nginx" if config.get("nginx") else " round-robin")
            + ", with the same live subscribers, each count measured in every run. Server CPU counts"
            " every daphne, PostgreSQL and Redis"
            + (", the worker" if config.get("worker") else "")
            + (", nginx" if config.get("nginx") else "")
            + "; webhooks per server CPU-second is the per-core efficiency (1 ÷ CPU per webhook)."
            " **On these 2 cores the comparison is not a clean scale-out:** the load generator and the"
            " subscribers run on the same two cores (generator cores above), as do PostgreSQL and Redis,"
            " so a second daphne mostly competes with them for the same CPU. Capacity planning should"
            " use the per-process figures (accepted/s per process, CPU per webhook) with one core per"
            " daphne and the generator elsewhere.",
        ]
    )


def _maybe(value, fmt=_int) -> str:
    return "–" if value is None else fmt(value)


def _cores(row: dict) -> str:
    parts = (row["server_cores"], row["daphne_cores_per_process"], row["generator_cores"])
    return " / ".join("–" if value is None else f"{value:.2f}" for value in parts)


def targets(measured: list[dict] | None) -> list[dict]:
    """The issue asks for scale-out *shown* from measured per-process figures: shown when measured."""
    if not measured:
        return []
    text = ", ".join(
        f"{row['processes']}: {_maybe(_median(row, 'accepted_per_s'))}/s ({_maybe(row['ratio'], _ratio)})"
        for row in measured
    )
    lost = sum(row["lost"] or 0 for row in measured)
    return [
        {
            "target": "scale-out with processes, shown from measured per-process figures (max, closed loop)",
            "measured": f"{text}; {lost} lost",
            "pass": lost == 0,
        }
    ]
