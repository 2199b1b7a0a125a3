"""What bench/forwarder.py and the CLI's integration tests (cli/tests) share: a local webhook
receiver (stdlib http.server in a thread) that verifies signatures as a
developer's server would, and `connector-site` run as a real process."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CLI_DIR = Path(__file__).resolve().parent.parent / "cli"


@dataclass
class Received:
    delivery: int
    body: bytes
    headers: dict[str, str]
    signature_valid: bool
    at: float  # time.monotonic() when the request arrived
    arrived_ns: int = 0  # time.time_ns(), for the bench's latency from the webhook's "t=" text


@dataclass
class LocalReceiver:
    """Answers 200 to every POST (or what `answer` says) and keeps what it answered 2xx to."""

    secret: str
    accepted: list[Received] = field(default_factory=list)
    seen: list[Received] = field(default_factory=list)
    # Called with each request before it is answered: return a status, or None to
    # close the connection unanswered (it may block first).
    answer: Callable[[Received], int | None] = lambda received: 200
    changed: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def start(self) -> "LocalReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: with Nagle's algorithm the second waits
            # for the client's delayed ACK, 40 ms per request.
            disable_nagle_algorithm = True

            def do_POST(self):
                receiver.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length", 0)))
        headers = {name.lower(): value for name, value in request.headers.items()}
        received = Received(
            delivery=int(headers.get("x-connector-site-delivery", 0)),
            body=body,
            headers=headers,
            signature_valid=signature_valid(body, headers.get("x-liveperson-signature", ""), self.secret),
            at=time.monotonic(),
            arrived_ns=time.time_ns(),
        )
        with self.changed:
            self.seen.append(received)
        status = self.answer(received)
        if status is None:  # no answer at all: the forwarder cannot know whether it arrived
            request.close_connection = True
            return
        try:
            request.send_response(status)
            request.send_header("content-length", "2")
            request.end_headers()
            request.wfile.write(b"ok")
        except OSError:
            return  # the forwarder is gone: this one was not answered
        if 200 <= status < 300:
            with self.changed:
                self.accepted.append(received)
                self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.accepted) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.accepted)} of {count} notifications arrived")
            return list(self.accepted)


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    """As a developer's server checks it (docs/WEBHOOKS.md): HMAC of the exact body, base64."""
    algorithm, _, signature = header.partition("=")
    digest = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}.get(algorithm)
    if digest is None:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, digest).digest()).decode()
    return hmac.compare_digest(expected, signature)


class Forwarder:
    """`connector-site <args>` as its own process, its output kept line by line."""

    def __init__(self, *args: str, token: str, keep_lines: bool = True):
        env = {**os.environ, "CONNECTOR_SITE_TOKEN": token, "PYTHONPATH": str(CLI_DIR)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connector_site_cli", *args],
            env=env,
            stdout=subprocess.PIPE if keep_lines else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        if keep_lines:
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True).start()

    def _read(self, stream, lines: list[str]) -> None:
        for text in stream:
            with self._changed:
                lines.append(text.rstrip("\n"))
                self._changed.notify_all()

    def wait_for_output(self, text: str, timeout: float = 20) -> None:
        with self._changed:
            found = self._changed.wait_for(lambda: any(text in line for line in self.stderr), timeout=timeout)
        assert found, f"no {text!r} in the forwarder's output: {self.stderr}"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
