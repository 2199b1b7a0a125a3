"""The forwarder's benchmark (bin/bench-forwarder) in its smoke configuration: it
runs end to end, through a real daphne, the CLI as a process and a local
server, and across the SIGKILL nothing is lost or doubled. Counts only: no
timing is asserted. Its own database (this suite's name + `_benchfwd`)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def test_the_smoke_run_forwards_everything_once(tmp_path):
    suite = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connector_site"))
    database_url = urlunsplit(suite._replace(path=suite.path + "_benchfwd"))
    output = tmp_path / "forwarder.json"
    command = [sys.executable, "-m", "bench.forwarder", "--smoke", "--output", str(output)]
    command += ["--database-url", database_url]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(output.read_text())
    (phase,) = result["rates"].values()
    assert phase["received"] == phase["sent"] > 0
    assert phase["p99_ms"] >= phase["p50_ms"] > 0
    assert result["throughput"]["backlog"] > 0
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["targets"][-1] == {"target": "0 lost, 0 duplicated", "pass": True}
