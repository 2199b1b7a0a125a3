"""The worker loop, in process, with jobs that record their calls."""

import logging

import pytest

from worker.loop import Job, Worker, load_jobs


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeWaiter:
    def __init__(self, woken: bool = False):
        self.waits: list[float] = []
        self.woken = woken
        self.interrupted = False

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return self.woken

    def interrupt(self) -> None:
        self.interrupted = True


def _job(path: str, results: list[int], calls: list[str], interval: float = 10.0) -> Job:
    def run() -> int:
        calls.append(path)
        return results.pop(0) if results else 0

    return Job(path=path, interval=interval, func=run)


def _worker(jobs, waiter=None, poll_seconds=1.0, clock=None) -> Worker:
    return Worker(jobs, waiter=waiter or FakeWaiter(), poll_seconds=poll_seconds, clock=clock or Clock())


def test_a_job_that_did_work_runs_again_at_once():
    calls = []
    worker = _worker([_job("a", [3, 1], calls)])

    assert worker.run_once() == 3
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert worker.run_once() == 0  # idle: not due before its interval

    assert calls == ["a", "a", "a"]


def test_an_idle_job_runs_again_after_its_interval():
    calls = []
    clock = Clock()
    worker = _worker([_job("a", [], calls, interval=0.05)], clock=clock)
    worker.run_once()

    clock.advance(0.04)
    worker.run_once()
    assert calls == ["a"]  # not yet
    clock.advance(0.01)
    worker.run_once()

    assert calls == ["a", "a"]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    calls = []

    def broken() -> int:
        raise RuntimeError("boom")

    worker = _worker([Job(path="broken", interval=10, func=broken), _job("b", [1], calls)])

    with caplog.at_level(logging.ERROR, logger="worker.loop"):
        assert worker.run_once() == 1

    assert calls == ["b"]
    assert "worker job broken failed" in caplog.text


def test_stop_lets_the_current_job_finish_then_runs_nothing_more():
    calls = []
    worker = _worker([])

    def stopping_job() -> int:
        worker.stop()  # as the SIGTERM handler does, in the middle of this job
        calls.append("stopping")
        return 1

    worker.jobs = [Job(path="s", interval=1, func=stopping_job), _job("after", [1], calls)]

    worker.run()  # returns

    assert calls == ["stopping"]
    assert worker.waiter.interrupted


def test_it_waits_only_when_every_job_was_idle_and_at_most_the_poll_interval():
    calls = []
    waiter = FakeWaiter()
    worker = _worker([_job("a", [2], calls, interval=30)], waiter=waiter, poll_seconds=0.5)

    def stop_after_first_wait(timeout):
        waiter.waits.append(timeout)
        worker.stopping = True
        return False

    waiter.wait = stop_after_first_wait
    worker.run()

    assert calls == ["a", "a"]  # worked, then idle, then waited
    assert waiter.waits == [0.5]


def test_the_wait_is_shorter_when_a_job_is_due_sooner():
    clock = Clock()
    worker = _worker([_job("a", [], [], interval=0.1)], poll_seconds=5, clock=clock)
    worker.run_once()
    clock.advance(0.03)

    assert worker._wait_seconds() == pytest.approx(0.07)


def test_a_wake_up_makes_every_job_due_but_the_scheduled_ones():
    calls = []
    jobs = [
        _job("a", [], calls, interval=30),
        _job("b", [], calls, interval=5),
        _job("hourly", [], calls, 3600),
    ]
    worker = _worker(jobs)
    worker.run_once()

    worker.make_all_due()
    worker.run_once()

    assert calls == ["a", "b", "hourly", "a", "b"]


def test_load_jobs_imports_the_paths_and_keeps_only_the_asked_ones():
    entries = [("worker.jobs.clear_sessions", 60), ("webhooks.jobs.purge_expired", 30)]

    jobs = load_jobs(entries, only=["webhooks.jobs.purge_expired"])

    assert [(job.path, job.interval) for job in jobs] == [("webhooks.jobs.purge_expired", 30.0)]
    with pytest.raises(ValueError, match="not in WORKER_JOBS"):
        load_jobs(entries, only=["nope.job"])


def test_the_heartbeat_file_is_touched(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    worker = Worker([], waiter=FakeWaiter(), poll_seconds=1, heartbeat_file=str(heartbeat), clock=Clock())

    worker._heartbeat()

    assert heartbeat.exists()
