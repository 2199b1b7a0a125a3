"""POSTing a notification to the developer's own server, over kept-alive connections."""

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10
RESPONSE_KEPT_BYTES = 64 * 1024


@dataclass
class Result:
    status: int | None  # None: no answer (the error says why)
    reason: str
    milliseconds: float
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class LocalServer:
    """One target URL; one connection, opened again whenever it breaks."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self.parts = parts
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> Result:
        started = time.perf_counter()
        try:
            return self._post(body, headers, started)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Result(None, _describe(exc), _since(started))

    def _post(self, body: bytes, headers: dict[str, str], started: float) -> Result:
        reused = self.connection is not None
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.request("POST", self.path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
            # The server closed the kept-alive connection while it was idle: once more, on a new one.
            self.close()
            return self._post(body, headers, started)
        kept = response.read(RESPONSE_KEPT_BYTES)
        # More than we keep: drop the connection rather than read it all.
        if response.read(1) or response.will_close:
            self.close()
        return Result(response.status, response.reason, _since(started), kept)

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.parts.scheme == "https" else http.client.HTTPConnection
        return kind(self.parts.hostname, self.parts.port, timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _describe(exc: Exception) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is your server running?)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS} s"
    return f"{type(exc).__name__}: {exc}"
