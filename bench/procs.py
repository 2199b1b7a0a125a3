"""Server processes for the benchmark, and the CPU time they spend.

CPU time comes from /proc/<pid>/stat (utime + stime, all threads), read
before and after a scenario: it counts what a process really did, whatever
else shares the two cores, so "CPU per webhook" stays comparable between
noisy runs even when throughput is not.
"""

import http.client
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A PostgreSQL client backend's title names its peer: "... 127.0.0.1(50312) idle" or "[local]".
# daphne's access log: 127.0.0.1:60956 - - [24/Nov/2026:23:53:43] "POST /notifications/event" 200 35
ACCESS_LOG = re.compile(r'^\S+ - \S+ \[[^\]]+\] "')
CLIENT_BACKEND = re.compile(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|::1\(\d+\)")
# Open files a daphne or a subscriber process may need: thousands of WebSockets each, plus
# database and Redis connections, far above the usual soft limit of 1,024.
WANTED_OPEN_FILES = 65536


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
    application: str,
    env: dict,
    log_dir: Path,
    extra_args: list[str],
    ready_path: str,
    port: int | None = None,
) -> Server:
    """Start `python -m connector_site.serve ... application` (daphne, as deployed) and
    wait until `ready_path` answers.

    The command is the one the README deploys with (default verbosity,
    so the access log is on), plus `extra_args` for experiments. `port`: when
    the environment must name it beforehand (the sandbox's CSDS points at it).
    """
    port = port or free_port()
    log_path = log_dir / f"daphne-{port}.log"
    command = [sys.executable, "-m", "connector_site.serve", "-b", "127.0.0.1", "-p", str(port)]
    command += [*extra_args, application]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_open_files_limit,  # noqa: PLW1509 - the child is single-threaded until exec
        )
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


def raise_open_files_limit() -> int:
    """Lift RLIMIT_NOFILE to WANTED_OPEN_FILES (limits pass through fork and exec); the new soft limit.

    Like `ulimit -n` in the launching shell: the soft limit goes up to the hard
    one, and the hard one too when we may (root), so nobody has to remember it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < WANTED_OPEN_FILES:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (WANTED_OPEN_FILES, WANTED_OPEN_FILES))
            return WANTED_OPEN_FILES
        except (ValueError, OSError):
            pass  # not root: the hard limit is as high as we go
    target = WANTED_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, WANTED_OPEN_FILES)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


def start_worker(env: dict, log_dir: Path, jobs: tuple[str, ...] = ()) -> subprocess.Popen:
    """`manage.py worker`, as `make run` and docker-compose start it beside daphne
    (only `jobs`, when given: `--job` each). A restarted worker appends to the same log."""
    log_path = log_dir / "worker.log"
    command = [sys.executable, "manage.py", "worker", *(f"--job={job}" for job in jobs)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(1.0)  # Django's startup; a worker that cannot start exits within it
    if process.poll() is not None:
        raise RuntimeError(f"the worker exited at once:\n{log_path.read_text(errors='replace')[-3000:]}")
    return process


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


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (nginx's workers under its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


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
    # More groups of our own processes by name, e.g. {"worker": [pid], "nginx": [master, workers...]}.
    extra: dict[str, list[int]] = field(default_factory=dict)

    def _pids(self) -> dict[str, list[int]]:
        groups = {
            "daphne": list(self.daphne_pids),
            "postgres_backends": [],
            "postgres_shared": [],
            "redis": [],
            **{name: list(pids) for name, pids in self.extra.items()},
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


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process (VmRSS of /proc/<pid>/status), or None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # kB
    return None
