"""PostgreSQL and Redis servers of the fault benchmark's own, on free loopback ports.

The machine's PostgreSQL (5432) and Redis (6379) serve other people's tests at
the same time, so a scenario that stops a server stops one of these: a
throw-away PostgreSQL cluster (initdb in a temporary directory, trust auth,
loopback only) and a redis-server without persistence. Both are stopped and
their files removed on exit, whatever happened.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.procs import free_port, stop_process

START_TIMEOUT = 30.0


def _postgres_bin() -> Path:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not candidates:
        raise RuntimeError("no PostgreSQL server installed under /usr/lib/postgresql")
    return candidates[-1]


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the server's own user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory; `stop()` and `start()` as a fault."""

    def __init__(self):
        self.port = free_port()
        self.bin = _postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="bench-faults-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.running = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> "PrivatePostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self.start()

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start"
        )
        self.running = True
        return self

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash: no checkpoint, recovery from the WAL at the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def close(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = _as_postgres([str(self.bin / program), *arguments])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


class PrivateRedis:
    """A redis-server without persistence; `kill()` and `start()` as a fault."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, every connection reset at once."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process:
            stop_process(self.process)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
