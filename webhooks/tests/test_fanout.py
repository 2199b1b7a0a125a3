"""Across real processes: two daphnes sharing Redis, and Redis stopped mid-ingestion."""

import json
import shutil
import subprocess
import threading
import time
from contextlib import ExitStack

import pytest
import requests
from websockets.sync.client import connect

from conftest import free_port, running_daphne
from webhooks import payloads
from webhooks.models import Conversation, Event
from webhooks.payloads import encode, headers_for

pytestmark = pytest.mark.django_db(transaction=True)


def _post(server, sequence: int) -> int:
    body = encode(payloads.messaging(payloads.content(sequence)))
    return requests.post(
        f"{server.url}/notifications/event", data=body, headers=headers_for(body), timeout=10
    ).status_code


def _subscribe(server, conversation_pk: int, cookie: str, after: int = 0):
    url = (
        server.url.replace("http://", "ws://") + f"/ws/conversations/{conversation_pk}/events/?after={after}"
    )
    return connect(
        url,
        additional_headers={"Origin": "http://127.0.0.1", "Cookie": f"sessionid={cookie}"},
        open_timeout=5,
    )


def _receive_seqs(socket, timeout: float) -> list[int]:
    return [event["seq"] for event in json.loads(socket.recv(timeout=timeout))["events"]]


def _until_healthy(server, timeout: float = 20) -> None:
    """Until the daphne can use its database and Redis (/health round-trips the channel layer)."""
    deadline = time.monotonic() + timeout
    while requests.get(f"{server.url}/health", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "daphne did not get Redis back"


def test_a_webhook_posted_to_one_process_reaches_a_socket_held_by_another(installation, session_cookie):
    with running_daphne() as first, running_daphne() as second:
        assert _post(first, 1) == 200
        conversation = Conversation.objects.get()
        with _subscribe(second, conversation.pk, session_cookie) as socket:
            assert _receive_seqs(socket, 5) == [1]

            assert _post(first, 2) == 200

            assert _receive_seqs(socket, 5) == [2]


class PrivateRedis:
    """A redis-server of this test's own, to stop and start without disturbing others."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        # redis-server logs when it listens: wait for that line rather than polling it.
        for line in self.process.stdout:
            if "ready to accept connections" in line.lower():
                threading.Thread(target=self.process.stdout.read, daemon=True).start()  # drain the rest
                return
        raise RuntimeError("private redis exited before it listened")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def test_with_redis_stopped_webhooks_are_stored_and_subscribers_catch_up(installation, session_cookie):
    redis = PrivateRedis()
    redis.start()
    env = {"REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "WEBHOOK_RESYNC_SECONDS": "0.5"}
    try:
        with running_daphne(**env) as server:
            assert _post(server, 1) == 200
            conversation = Conversation.objects.get()
            received = []
            sockets = ExitStack()
            socket = sockets.enter_context(_subscribe(server, conversation.pk, session_cookie))
            received += _receive_seqs(socket, 5)

            redis.stop()
            statuses = [_post(server, sequence) for sequence in range(2, 7)]
            assert statuses == [200] * 5
            assert Event.objects.count() == 6
            redis.start()

            deadline = time.monotonic() + 20
            while received[-1] < 6 and time.monotonic() < deadline:
                try:
                    received += _receive_seqs(socket, 1)
                except TimeoutError:
                    continue
                except Exception:  # the socket died with Redis: reconnect like the browser does
                    _until_healthy(server)
                    try:
                        socket = sockets.enter_context(
                            _subscribe(server, conversation.pk, session_cookie, after=received[-1])
                        )
                    except Exception:
                        continue
            sockets.close()
            assert received == [1, 2, 3, 4, 5, 6]
    finally:
        if redis.process and redis.process.poll() is None:
            redis.stop()
