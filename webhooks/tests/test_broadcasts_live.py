"""Across real processes: Redis stops, webhooks keep coming, and once Redis is
back the worker re-sends what could not be broadcast, before any periodic check."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from websockets.sync.client import connect

import conftest
from conftest import BASE_DIR, running_daphne
from webhooks import payloads
from webhooks.models import Conversation, PendingBroadcast
from webhooks.payloads import encode, headers_for
from webhooks.tests.test_fanout import PrivateRedis

pytestmark = pytest.mark.django_db(transaction=True)


def _post(server, sequence: int) -> int:
    body = encode(payloads.messaging(payloads.content(sequence)))
    url = f"{server.url}/notifications/event"
    return requests.post(url, data=body, headers=headers_for(body), timeout=10).status_code


def _seqs(socket, timeout: float) -> list[int]:
    return [event["seq"] for event in json.loads(socket.recv(timeout=timeout))["events"]]


def test_broadcasts_refused_while_redis_was_down_reach_subscribers_through_the_worker(
    installation, session_cookie
):
    redis = PrivateRedis()
    redis.start()
    # Subscribers check the database only every 10 minutes here: only the worker can deliver.
    env = {"REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "WEBHOOK_RESYNC_SECONDS": "600"}
    worker = None
    try:
        with running_daphne(**env) as server:
            assert _post(server, 1) == 200
            conversation = Conversation.objects.get()
            url = server.url.replace("http://", "ws://") + f"/ws/conversations/{conversation.pk}/events/"
            headers = {"Origin": "http://127.0.0.1", "Cookie": f"sessionid={session_cookie}"}
            with connect(url, additional_headers=headers, open_timeout=5) as socket:
                assert _seqs(socket, 5) == [1]

                redis.stop()
                assert [_post(server, n) for n in (2, 3)] == [200, 200]
                deadline = time.monotonic() + 10
                while not PendingBroadcast.objects.exists() and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert PendingBroadcast.objects.exists()
                redis.start()
                time.sleep(1)  # daphne's subscriber reconnects to Redis
                worker_env = {**os.environ, **env, "DATABASE_URL": conftest.tests_database_url()}
                command = [
                    sys.executable,
                    "manage.py",
                    "worker",
                    "--job",
                    "webhooks.jobs.republish_broadcasts",
                ]
                worker = subprocess.Popen(command, cwd=BASE_DIR, env=worker_env)

                received = []
                while len(received) < 2:
                    received += _seqs(socket, 15)
                assert received == [2, 3]
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
        if redis.process and redis.process.poll() is None:
            redis.stop()
