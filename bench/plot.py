"""The latency plot of docs/PERFORMANCE.md: ack and push p50/p99 against offered rate (PNG)."""

from pathlib import Path

# (figure, label, line style): ack dashed, push solid; p50 circles, p99 squares.
SERIES = (
    ("ack_p50_ms", "ack p50", "o--"),
    ("ack_p99_ms", "ack p99", "s--"),
    ("push_p50_ms", "push p50", "o-"),
    ("push_p99_ms", "push p99", "s-"),
)
TARGET_P99_MS = 10.0  # the webhook issue's push p99 target up to 500/s


def latency_plot(aggregated: dict, rates: list[int], path: Path, title: str) -> bool:
    """Write the plot to `path` (medians, min–max as error bars); False when no rate was measured."""
    measured = [rate for rate in sorted(rates) if aggregated.get(f"{rate}/s")]
    if not measured:
        return False
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.ticker
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7.5, 4.5), dpi=110)
    for key, label, style in SERIES:
        points = [(rate, aggregated[f"{rate}/s"].get(key)) for rate in measured]
        points = [(rate, spread) for rate, spread in points if spread]
        if not points:
            continue
        medians = [spread["median"] for _, spread in points]
        below = [spread["median"] - spread["min"] for _, spread in points]
        above = [spread["max"] - spread["median"] for _, spread in points]
        axes.errorbar(
            [rate for rate, _ in points], medians, yerr=[below, above], fmt=style, capsize=3, label=label
        )
    axes.axhline(TARGET_P99_MS, color="grey", linewidth=0.8, linestyle=":", label="10 ms (p99 target)")
    axes.set_xscale("log")
    axes.set_xticks(measured, [f"{rate:,}" for rate in measured])
    axes.minorticks_off()
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axes.set_xlabel("offered rate, webhooks/s (open loop, log scale)")
    axes.set_ylabel("latency, ms (log scale)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No timestamp in the file: the same figures give the same bytes.
    figure.savefig(path, metadata={"Software": None})
    pyplot.close(figure)
    return True
