"""The demo chat's benchmark (bin/bench-chat) in a tiny configuration: it runs end to
end, through the real pages, sockets, worker and sandbox, and every message is
acknowledged and echoed. Counts only: no timing is asserted.

It runs as a subprocess with its own database (this suite's name + `_benchchat`,
so parallel suites do not collide), daphne and worker: nothing here touches the
test database. About 15 s.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--conversations", "2", "--messages", "2", "--interval", "0.2", "--drain", "30"]
TINY += ["--no-docs", "--drop-database"]


def _run(output: Path) -> dict:
    suite = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connector_site"))
    database_url = urlunsplit(suite._replace(path=suite.path + "_benchchat"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    command = [sys.executable, "-m", "bench.chat", *TINY, "--output", str(output)]
    command += ["--database-url", database_url, "--redis-url", redis_url]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(output.read_text())


def test_every_message_is_acknowledged_and_echoed(tmp_path):
    result = _run(tmp_path / "chat.json")

    (summary,) = result["scenarios"]
    counts = ("conversations", "planned", "sent", "acknowledged", "own_events", "echoed", "missing", "errors")
    assert {key: summary[key] for key in counts} == {
        "conversations": 2,
        "planned": 4,
        "sent": 4,
        "acknowledged": 4,
        "own_events": 4,
        "echoed": 4,
        "missing": 0,
        "errors": 0,
    }
    assert summary["socket_closes"] == 0
    assert summary["webhook_post_failures"] == 0
    # Each message and its echo reach the site in posts of their own (the agent answers
    # later); the agent's receipts and chat states may share a post, so no more is certain.
    assert summary["webhook_posts"] >= 4 * 2
    for figure in ("sent_p50_ms", "echo_p99_ms", "agent_reply_p50_ms", "cpu_daphne_us_per_message"):
        assert summary[figure] > 0, figure
    assert summary["cpu_worker_us_per_message"] > 0
    assert result["targets"][-1]["target"].startswith("every message acknowledged and echoed")
    assert result["targets"][-1]["pass"] is True
    assert result["json_path"] == str(tmp_path / "chat.json")
