"""Container health checks (docker-compose.yml): `python deploy/healthcheck.py web|worker`.

web: GET /health from inside the container, with a Host header Django accepts.
worker: its heartbeat file (WORKER_HEARTBEAT_FILE) was touched recently.
Standard library only: it must not load Django.
"""

import os
import sys
import time
import urllib.request

WORKER_STALE_SECONDS = 60


def web() -> bool:
    host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    request = urllib.request.Request("http://127.0.0.1:8000/health", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a fixed http URL
            return response.status == 200
    except OSError:
        return False


def worker() -> bool:
    try:
        age = time.time() - os.stat(os.environ["WORKER_HEARTBEAT_FILE"]).st_mtime
    except (KeyError, OSError):
        return False
    return age < WORKER_STALE_SECONDS


if __name__ == "__main__":
    checks = {"web": web, "worker": worker}
    sys.exit(0 if len(sys.argv) == 2 and checks[sys.argv[1]]() else 1)
