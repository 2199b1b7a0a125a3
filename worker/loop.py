"""The worker loop: run each due job; when all were idle, wait for a wake-up.

A job is a callable taking no arguments and returning the units of work it did
(0: nothing to do). settings.WORKER_JOBS lists them as (dotted path, minimum
interval in seconds). A job that did work runs again at once; an idle one
after its interval. `worker.wake()` makes every job due at once, except the
scheduled ones (an interval of a minute or more: new work does not concern
them, and wake-ups may come many times a second). A job that raises is logged
and treated as idle: one broken job must not stop the others.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 5.0
# Jobs polled this often or more rarely are schedules, which wake-ups leave alone.
SCHEDULED_INTERVAL_SECONDS = 60.0


@dataclass
class Job:
    path: str
    interval: float
    func: Callable[[], int]
    next_due: float = 0.0  # on the worker's clock (time.monotonic); 0 = due now


def load_jobs(entries, *, only: list[str] | None = None) -> list[Job]:
    """Jobs from WORKER_JOBS entries; `only` keeps those paths (unknown ones are an error)."""
    jobs = [Job(path=path, interval=float(interval), func=import_string(path)) for path, interval in entries]
    if only:
        unknown = set(only) - {job.path for job in jobs}
        if unknown:
            raise ValueError(f"not in WORKER_JOBS: {', '.join(sorted(unknown))}")
        jobs = [job for job in jobs if job.path in only]
    return jobs


class Worker:
    def __init__(
        self,
        jobs: list[Job],
        *,
        waiter,
        poll_seconds: float,
        heartbeat_file: str = "",
        clock: Callable[[], float] = time.monotonic,
    ):
        # `clock` is time.monotonic; the tests pass one they move forward instead of sleeping.
        self.clock = clock
        self.jobs = jobs
        self.waiter = waiter
        self.poll_seconds = poll_seconds
        self.heartbeat_file = Path(heartbeat_file) if heartbeat_file else None
        self.stopping = False
        self._last_heartbeat = 0.0

    def stop(self) -> None:
        """Finish the current job, then leave `run` (safe from a signal handler)."""
        self.stopping = True
        self.waiter.interrupt()

    def run(self) -> None:
        while not self.stopping:
            self._heartbeat()
            idle = self.run_once() == 0
            if idle and not self.stopping and self.waiter.wait(self._wait_seconds()):
                self.make_all_due()

    def run_once(self) -> int:
        """Run every due job once; returns the work they did."""
        done = 0
        for job in self.jobs:
            if self.stopping:
                break
            if job.next_due <= self.clock():
                done += self.run_job(job)
        return done

    def run_job(self, job: Job) -> int:
        close_old_connections()  # drop a connection PostgreSQL closed meanwhile
        try:
            done = int(job.func() or 0)
        except Exception:  # noqa: BLE001 - logged; the other jobs go on
            logger.exception("worker job %s failed", job.path)
            done = 0
        finally:
            close_old_connections()
        job.next_due = 0.0 if done else self.clock() + job.interval
        if done:
            logger.info("worker job %s did %d", job.path, done)
        return done

    def make_all_due(self) -> None:
        """After a wake-up: every job but the scheduled ones is due now."""
        for job in self.jobs:
            if job.interval < SCHEDULED_INTERVAL_SECONDS:
                job.next_due = 0.0

    def _wait_seconds(self) -> float:
        """Up to the poll interval, less when a job is due sooner."""
        now = self.clock()
        soonest = min((job.next_due for job in self.jobs), default=now + self.poll_seconds)
        return max(0.0, min(self.poll_seconds, soonest - now))

    def _heartbeat(self) -> None:
        """Touch the heartbeat file (the container's health check reads its age)."""
        if self.heartbeat_file is None or self.clock() - self._last_heartbeat < HEARTBEAT_EVERY_SECONDS:
            return
        self.heartbeat_file.touch()  # sets the modification time
        self._last_heartbeat = self.clock()
