"""bin/bench-sequential in a tiny configuration: it runs end to end against real
daphnes and the real database, and reports every row with measured figures.
Nothing about timing is asserted. About 20 s."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def test_it_reports_the_lone_webhook_path_and_the_batch_transaction():
    suite = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(suite._replace(path=suite.path + "_bench_sequential"))
    command = [sys.executable, "-m", "bench.sequential", "--requests", "20", "--store-webhooks", "40"]
    command += ["--database-url", database_url, "--redis-url", os.environ["REDIS_URL"]]

    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    rows = [line.split(" | ") for line in completed.stdout.splitlines() if line.startswith("| ")]
    servers = [(row[0].strip("| "), row[1]) for row in rows if row[0] in ("| application", "| bare floor")]
    assert servers == [
        ("application", "back to back"),
        ("application", "10 ms apart"),
        ("bare floor", "back to back"),
        ("bare floor", "10 ms apart"),
    ]
    batches = [row[0].strip("| ") for row in rows if row[0].strip("| ").isdigit()]
    assert batches == ["1", "32", "200"]
    figures = [
        [float(cell.strip("| ").replace(",", "")) for cell in row[1:]]
        for row in rows
        if row[0].strip("| ").isdigit()
    ]
    assert [len(row) for row in figures] == [3, 3, 3]
    wall, client_cpu, postgres_cpu = zip(*figures, strict=True)
    assert all(us > 0 for us in wall + client_cpu)
    # PostgreSQL's CPU comes from /proc in clock ticks (10 ms): a run this tiny may read 0.
    assert all(us >= 0 for us in postgres_cpu)
