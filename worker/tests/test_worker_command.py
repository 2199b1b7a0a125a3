"""manage.py worker as a real process: signals, wake-ups, and a kill in the middle of its work."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import pytest
from django.utils import timezone

import conftest
from webhooks import jobs
from webhooks.models import Conversation, Delivery, Event, PendingBroadcast
from webhooks.tests import bulk
from worker import wake
from worker.models import Schedule

pytestmark = pytest.mark.django_db(transaction=True)

PURGE_JOB = "webhooks.jobs.purge_expired"
REPUBLISH_JOB = "webhooks.jobs.republish_broadcasts"


def start_worker(*jobs_only: str, **env_overrides) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": conftest.tests_database_url(),
        "LOG_FORMAT": "text",
        **env_overrides,
    }
    command = [sys.executable, "manage.py", "worker", *(f"--job={job}" for job in jobs_only)]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the process runs
    process = subprocess.Popen(command, cwd=conftest.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def output(process: subprocess.Popen) -> str:
    process.log.seek(0)
    return process.log.read().decode()


def wait_until(condition, *, timeout: float = 30, message: str = "timed out"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(message)


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


def test_sigterm_stops_it_after_the_current_job_with_status_0():
    worker = start_worker(REPUBLISH_JOB)
    wait_until(lambda: "worker started" in output(worker), message="the worker never started")

    assert stop(worker) == 0
    assert "worker stopped" in output(worker)


def test_sigint_stops_it_too():
    worker = start_worker(REPUBLISH_JOB)
    wait_until(lambda: "worker started" in output(worker), message="the worker never started")

    worker.send_signal(signal.SIGINT)

    assert worker.wait(timeout=20) == 0


def test_it_refuses_a_job_that_is_not_configured():
    worker = start_worker("nope.not_a_job")

    assert worker.wait(timeout=30) == 1
    assert "not in WORKER_JOBS: nope.not_a_job" in output(worker)


def test_wake_reaches_an_idle_worker_at_once():
    # Polling every minute: only the NOTIFY can make it look sooner.
    worker = start_worker(REPUBLISH_JOB, WORKER_POLL_SECONDS="60")
    try:
        wait_until(lambda: "worker started" in output(worker), message="the worker never started")
        time.sleep(0.5)  # it ran its job once and waits
        PendingBroadcast.objects.create(account_id="90000001", delivery_ids=[])
        woken_at = time.monotonic()
        wake()

        wait_until(lambda: not PendingBroadcast.objects.exists(), timeout=10, message="the worker never woke")
        assert time.monotonic() - woken_at < 5
    finally:
        assert stop(worker) == 0


def test_a_worker_killed_mid_purge_and_restarted_loses_nothing_and_does_nothing_twice():
    old = timezone.now() - timedelta(days=40)
    bulk.conversations(600, events_each=50, at=old, prefix="old")  # 30,000 events to delete
    bulk.conversations(10, events_each=5, at=timezone.now(), prefix="new")  # 50 to keep
    # Small batches with a pause: the kill lands in the middle; a short lease
    # lets the restarted worker take the dead one's run over quickly.
    slow = {
        "WEBHOOK_PURGE_BATCH_SIZE": "500",
        "WEBHOOK_PURGE_PAUSE_SECONDS": "0.02",
        "WORKER_LEASE_SECONDS": "3",
    }

    first = start_worker(PURGE_JOB, **slow)
    try:
        wait_until(lambda: 0 < _counted("events") < 25_000, message="the purge never started")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    left_by_the_dead = Event.objects.count()
    assert 50 < left_by_the_dead < 30_050  # killed in the middle
    # Restarted once the dead worker's lease has run out (it polls its job every minute).
    wait_until(lambda: Schedule.objects.get(name=jobs.PURGE_SCHEDULE).leased_until < timezone.now())

    second = start_worker(PURGE_JOB, **slow)
    try:
        schedule = wait_until(_finished_run, timeout=60, message="the purge never finished")
    finally:
        assert stop(second) == 0

    # Nothing lost: every old row is gone, every new one kept.
    assert Event.objects.count() == 50
    assert set(Conversation.objects.values_list("conversation_id", flat=True)) == {
        f"new-{n}" for n in range(1, 11)
    }
    assert Delivery.objects.count() == 10
    # Nothing twice: counted in the transactions of the deletes, across both workers.
    assert schedule.run_counts == {"events": 30_000, "deliveries": 600, "conversations": 600}


def _counted(kind: str) -> int:
    schedule = Schedule.objects.filter(name=jobs.PURGE_SCHEDULE).first()
    return schedule.run_counts.get(kind, 0) if schedule else 0


def _finished_run():
    schedule = Schedule.objects.filter(name=jobs.PURGE_SCHEDULE, run_finished_at__isnull=False).first()
    return schedule
