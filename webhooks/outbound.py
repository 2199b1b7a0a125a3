"""The site's own HTTP requests to an app's webhook endpoints (replays and test
notifications: webhooks.sends), the only place webhooks/ calls the outside world.

An endpoint is a URL a user typed, so every request is one a stranger chose
(docs/FORWARDING.md, "Replays and test sends"): only https, to a host whose
every address is public; the connection goes to the address that was checked
(no second lookup an attacker's DNS could answer differently), redirects are
not followed, and the answer is read up to RESPONSE_KEPT_BYTES within
LivePerson's timeouts (docs/WEBHOOKS.md: 5 s to connect, 5 s to answer).
With the sandbox on, plain http and local addresses are allowed: the sandbox's
endpoints are this very site on localhost.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 5.0
TOTAL_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
RESPONSE_KEPT_BYTES = 64 * 1024
MAX_URL_LENGTH = 2048


class RefusedTarget(ValueError):
    """An endpoint the site will not call; the message says why, for the page."""


@dataclass
class Answer:
    url: str
    status: int | None = None  # None: no answer, `error` says why
    milliseconds: float = 0.0
    body: str = ""
    body_truncated: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        # LivePerson counts only 200 and 201 as delivered (docs/WEBHOOKS.md).
        return self.status in (200, 201)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST to an app's endpoint if it is one the site may call; never raises for the endpoint's faults."""
    started = time.monotonic()
    try:
        target = checked_target(url)
        status, kept, truncated = _send(target, body, headers)
    except RefusedTarget as exc:
        return Answer(url=url, error=f"refused: {exc}")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(url=url, milliseconds=_since(started), error=_describe(exc))
    text = kept.decode("utf-8", "replace")
    return Answer(url, status, _since(started), text, truncated)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def checked_target(url: str) -> Target:
    """The URL's parts and the one address to connect to, or RefusedTarget."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTarget("the URL is too long")
    parts = urlsplit(url)
    sandbox = settings.SANDBOX_ENABLED
    if parts.scheme == "https" and sandbox and parts.hostname in settings.SANDBOX_WEBHOOK_PLAIN_HTTP_HOSTS:
        parts = urlsplit(urlunsplit(parts._replace(scheme="http")))  # as the sandbox's dispatcher does
    if parts.scheme != "https" and not (sandbox and parts.scheme == "http"):
        raise RefusedTarget("only https endpoints are called")
    if not parts.hostname or parts.username or parts.password:
        raise RefusedTarget("the URL names no host, or carries credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedTarget("the URL's port is not a number from 0 to 65535") from None
    address = _public_address(parts.hostname, port, allow_private=sandbox)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, address, path)


def _public_address(host: str, port: int, *, allow_private: bool) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedTarget(f"{host} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not allow_private:
        private = [str(a) for a in addresses if not is_public(a)]
        if private:
            # Every address, not just the first: the connection could land on any of them.
            raise RefusedTarget(f"{host} resolves to a non-public address ({private[0]})")
    return str(addresses[0])


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address; IPv4 inside IPv6 is judged as the IPv4 it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return is_public(embedded)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast and not address.is_reserved


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _send(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, bool]:
    connection = _PinnedConnection(target) if target.scheme == "http" else _PinnedTLSConnection(target)
    # The timeouts hold for each read: an endpoint sending a byte every few seconds
    # would keep this thread for hours. The whole exchange gets LivePerson's 5 s + 5 s.
    watchdog = threading.Timer(TOTAL_SECONDS, connection.cut)
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()  # a redirect is an answer like any other: not followed
        kept = response.read(RESPONSE_KEPT_BYTES)
        more = bool(response.read(1))
    except OSError as exc:
        if connection.was_cut:
            raise TimeoutError("the whole exchange took too long") from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()
    if connection.was_cut:  # a cut read ends like the answer did: what came is not the answer
        raise TimeoutError("the whole exchange took too long")
    return response.status, kept, more


class _Cuttable:
    """A connection the watchdog can end from another thread (a blocked read returns)."""

    was_cut = False

    def cut(self) -> None:
        self.was_cut = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


class _PinnedConnection(_Cuttable, http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target):
        super().__init__(target.host, target.port, timeout=READ_TIMEOUT_SECONDS)
        self.address = target.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), timeout=CONNECT_TIMEOUT_SECONDS)
        self.sock.settimeout(READ_TIMEOUT_SECONDS)


class _PinnedTLSConnection(_Cuttable, http.client.HTTPSConnection):
    """The same over TLS, with the certificate checked against the host name (SNI)."""

    def __init__(self, target: Target):
        context = ssl.create_default_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # LivePerson's minimum (docs/WEBHOOKS.md)
        super().__init__(target.host, target.port, timeout=READ_TIMEOUT_SECONDS, context=context)
        self.address = target.address

    def connect(self):
        raw = socket.create_connection((self.address, self.port), timeout=CONNECT_TIMEOUT_SECONDS)
        raw.settimeout(READ_TIMEOUT_SECONDS)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _describe(exc: Exception) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time (5 s to connect, 5 s to answer, 10 s in all)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc}"
