"""Server processes for the benchmark, and the CPU time they spend.

CPU time comes from /proc/<pid>/stat (utime + stime, all threads), read
before and after a scenario: it counts what a process really did, whatever
else shares the two cores, so "CPU per webhook" stays comparable between
noisy runs even when throughput is not.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A PostgreSQL client backend's title names its peer: "... 127.0.0.1(50312) idle" or "[local]".
# daphne's access log: 127.0.0.1:60956 - - [24/Nov/2026:23:53:43] "POST /notifications/event" 200 35
ACCESS_LOG = re.compile(r'^\S+ - \S+ \[[^\]]+\] "')
CLIENT_BACKEND = re.compile(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|::1\(\d+\)")


# --- daphne ------------------------------------------------------------------


@dataclass
class Server:
    """One daphne process listening on 127.0.0.1:port."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of daphne's output that are not access-log lines."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join([line for line in text.splitlines() if not ACCESS_LOG.match(line)][-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_daphne(
    application: str, env: dict, log_dir: Path, extra_args: list[str], ready_path: str
) -> Server:
    """Start `python -m daphne ... application` and wait until `ready_path` answers.

    The command is the one the README deploys with (default verbosity,
    so the access log is on), plus `extra_args` for experiments.
    """
    port = free_port()
    log_path = log_dir / f"daphne-{port}.log"
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *extra_args, application]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(port=port, process=process, log_path=log_path)
    try:
        _wait_until_answering(server, ready_path)
    except BaseException:
        stop_server(server)
        raise
    return server


def _wait_until_answering(server: Server, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"daphne on port {server.port} exited:\n{server.log_tail()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"daphne on port {server.port} did not answer {path} in {timeout:.0f} s")


def stop_server(server: Server) -> None:
    """SIGTERM, then SIGKILL if it lingers: never leave a daphne behind."""
    stop_process(server.process)


def stop_process(process: subprocess.Popen, grace: float = 5.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


# --- CPU accounting ------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 (state) of proc(5)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _processes() -> list[tuple[int, str, str]]:
    """(pid, comm, cmdline) of every process we may read."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((int(entry.name), comm, cmdline))
    return found


@dataclass
class CpuGroups:
    """Which processes count as ours: daphnes, PostgreSQL, Redis.

    PostgreSQL is shared with other users of the machine: its background
    processes (WAL writer, checkpointer...) count, client backends only when
    connected to the benchmark's database. Redis: the server on our port.
    """

    daphne_pids: list[int]
    database: str
    redis_port: int

    def _pids(self) -> dict[str, list[int]]:
        groups = {
            "daphne": list(self.daphne_pids),
            "postgres_backends": [],
            "postgres_shared": [],
            "redis": [],
        }
        for pid, comm, cmdline in _processes():
            if comm == "postgres":
                if self.database in cmdline.split():
                    groups["postgres_backends"].append(pid)
                elif not CLIENT_BACKEND.search(cmdline):
                    groups["postgres_shared"].append(pid)
            elif comm == "redis-server" and re.search(rf":{self.redis_port}\b", cmdline):
                groups["redis"].append(pid)
        return groups

    def sample(self) -> dict[str, dict[int, float]]:
        samples = {}
        for group, pids in self._pids().items():
            samples[group] = {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}
        return samples


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per group between two samples.

    A process born in between counts from zero (a new PostgreSQL backend);
    one that died in between is lost, which the pools make rare.
    """
    return {
        group: sum(cpu - before.get(group, {}).get(pid, 0.0) for pid, cpu in pids.items())
        for group, pids in after.items()
    }
