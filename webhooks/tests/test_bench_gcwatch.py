"""bench/gcwatch: a daphne started with it on PYTHONPATH logs its full collections."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECT = "import gc; gc.collect(); gc.collect(1)"


def _run(tmp_path, *argv: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "bench" / "gcwatch"), "BENCH_GC_LOG": str(tmp_path / "gc")}
    subprocess.run([sys.executable, "-c", COLLECT, *argv], env=env, check=True, timeout=60)
    return [line for log in tmp_path.glob("gc-*.log") for line in log.read_text().splitlines()]


def test_a_daphne_process_logs_its_full_collections(tmp_path):
    # As bench/procs.py starts daphne: `python -m connector_site.serve ...` in the command line.
    lines = _run(tmp_path, "connector_site.serve")

    full = [line.split() for line in lines if " gen2 " in line]
    assert full, lines
    _, _, pause, collected, tracked = full[0]
    assert float(pause.removesuffix("ms")) >= 0
    assert collected.startswith("collected=")
    assert int(tracked.removeprefix("tracked=")) > 0


def test_other_processes_log_nothing(tmp_path):
    assert _run(tmp_path, "manage.py") == []
