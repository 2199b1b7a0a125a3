"""The benchmark (bin/bench) in a tiny configuration: it runs end to end and loses nothing.

It runs as a subprocess, with its own database (named after this suite's, so
parallel suites do not collide) and its own daphne processes: nothing here
touches the test database. About 10–20 s.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--rates", "50", "--duration", "1", "--repeat", "1", "--concurrency", "4", "--conversations", "2"]
TINY += ["--subscribers", "2", "--warmup", "0.5", "--drain", "15", "--drop-database"]


def _bench_database_url() -> str:
    """This suite's database URL, `_benchtest` appended: not the database bin/bench uses."""
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connector_site"))
    return urlunsplit(url._replace(path=url.path + "_benchtest"))


def _run_bench(output: Path, *options: str) -> dict:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    command = [sys.executable, "-m", "bench.webhooks", *TINY, *options, "--output", str(output)]
    command += ["--database-url", _bench_database_url(), "--redis-url", redis_url]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(output.read_text())


def test_the_benchmark_runs_end_to_end_and_loses_nothing(tmp_path):
    report = _run_bench(tmp_path / "result.json", "--no-docs")

    (run,) = report["runs"]
    scenarios = {scenario["scenario"]: scenario for scenario in run["scenarios"]}
    assert set(scenarios) == {"50/s", "max", "floor"}
    for name in ("50/s", "max"):
        scenario = scenarios[name]
        assert scenario["accepted"] > 0, name
        assert scenario["status_other"] == 0, name
        assert scenario["stored"] == scenario["accepted"], name
        assert scenario["subscribers"] == 4, name
        assert scenario["expected"] == 2 * scenario["accepted"], name  # 2 subscribers per conversation
        assert scenario["received"] == scenario["expected"], name
        assert scenario["lost"] == 0, name
        assert scenario["duplicates"] == 0, name
        for figure in ("accepted_per_s", "ack_p50_ms", "ack_p99_ms", "push_p50_ms", "push_p99_ms"):
            assert scenario[figure] > 0, (name, figure)
        assert scenario["cpu_daphne_us_per_webhook"] > 0, name
    assert scenarios["50/s"]["sent"] == 50
    assert scenarios["floor"]["requests_per_s"] > 0
    assert report["aggregated"]["max"]["accepted_per_s"]["median"] > 0
    assert any(check["target"].startswith("0 lost") and check["pass"] for check in report["targets"])


def test_the_suite_options_run_behind_nginx_with_the_worker_two_stacks_and_idle_sockets(tmp_path):
    docs = tmp_path / "PERFORMANCE.md"
    options = ["--nginx", "--worker", "--processes", "1,2", "--idle-subscribers", "6", "--idle-hold", "0.5"]

    report = _run_bench(tmp_path / "result.json", *options, "--docs", str(docs))

    (run,) = report["runs"]
    scenarios = {scenario["scenario"]: scenario for scenario in run["scenarios"]}
    assert set(scenarios) == {"50/s", "max", "floor", "max, 2 processes", "floor, 2 processes"}
    for name in ("50/s", "max", "max, 2 processes"):
        scenario = scenarios[name]
        assert scenario["nginx"] is True, name
        assert scenario["accepted"] > 0, name
        assert scenario["stored"] == scenario["accepted"], name
        assert scenario["received"] == scenario["expected"] == 2 * scenario["accepted"], name
        assert scenario["lost"] == 0, name
        assert scenario["cpu_nginx_s"] > 0, name  # the generator's requests went through nginx
        assert "cpu_worker_s" in scenario, name  # the worker ran, its CPU counted
    assert scenarios["max"]["processes"] == 1
    assert scenarios["max, 2 processes"]["processes"] == 2
    assert [row["processes"] for row in report["scale_out"]] == [1, 2]
    idle = report["idle"]
    assert idle["connected"] == idle["subscribers"] == 6
    assert idle["received"] == idle["expected"] == 6
    assert idle["lost"] == 0
    assert idle["rss_per_connection_bytes"] is not None
    # With --nginx the idle sockets go through an nginx of their own, whose memory is read too.
    assert idle["through_nginx"] is True
    assert idle["nginx_rss_after_bytes"] > 0
    assert idle["idle_nginx_cores"] is not None
    text = docs.read_text()
    assert "## Latest results, behind nginx (TLS)" in text
    assert "### Scale-out with daphne processes" in text
    assert "### Idle WebSocket subscribers on one daphne process" in text
    assert "](performance-latency-nginx.png)" in text
    assert (tmp_path / "performance-latency-nginx.png").read_bytes().startswith(b"\x89PNG")
