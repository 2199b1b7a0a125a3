"""Recording what a user's actions sent to LivePerson, for the requests console:
every `transport.request()` made inside `recording()`, with secrets masked."""

import contextvars
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

MASKED = "********"
SECRET_HEADERS = frozenset({"authorization", "x-lp-on-behalf", "cookie"})
# Masked at any depth of a recorded request or response body.
SECRET_FIELDS = frozenset(
    {"client_secret", "password", "csrf", "access_token", "token", "bearer", "temp_url_sig"}
)
RECORDED_TEXT_CHARS = 500

_recording: contextvars.ContextVar[list | None] = contextvars.ContextVar("liveperson_recording", default=None)


@dataclass
class Exchange:
    """One call made while recording, secrets masked; `url` has no query string,
    `query` holds its parameters (secrets masked too: a swift temp URL's signature)."""

    service: str
    method: str
    url: str
    request_headers: dict
    query: dict = field(default_factory=dict)
    request_body: object = None
    status: int | None = None
    response_body: object = None
    duration_ms: float = 0.0
    error: str = ""


@contextmanager
def recording() -> Iterator[list[Exchange]]:
    """Collect an Exchange for every `transport.request()` made inside, in this context.

    A context variable, so calls made in sync_to_async threads (which run in a
    copy of the caller's context) are collected too.
    """
    exchanges: list[Exchange] = []
    token = _recording.set(exchanges)
    try:
        yield exchanges
    finally:
        _recording.reset(token)


def exchange_start(method: str, url: str, service: str, kwargs: dict) -> Exchange | None:
    """A new Exchange for a call about to be made (`url` without its query), or None
    when not recording."""
    exchanges = _recording.get()
    if exchanges is None:
        return None
    headers = {
        name: MASKED if name.lower() in SECRET_HEADERS else value
        for name, value in (kwargs.get("headers") or {}).items()
    }
    if kwargs.get("cookies"):
        headers["Cookie"] = MASKED
    exchange = Exchange(
        service=service,
        method=method,
        url=url,
        request_headers=headers,
        query=_recorded_query(kwargs),
        request_body=_recorded_request_body(kwargs),
    )
    exchanges.append(exchange)
    return exchange


def exchange_end(exchange, started: float, *, response=None, error: str = "") -> None:
    """The call's outcome, on its Exchange (None: not recording)."""
    if exchange is None:
        return
    exchange.duration_ms = round((time.monotonic() - started) * 1000, 1)
    exchange.error = error
    if response is not None:
        exchange.status = response.status_code
        exchange.response_body = _recorded_response_body(response)


def _recorded_query(kwargs: dict) -> dict:
    params = kwargs.get("params")
    if not isinstance(params, dict):
        return {}
    return {str(name): str(value) for name, value in masked(params).items()}


def _recorded_request_body(kwargs: dict):
    if kwargs.get("json") is not None:
        return masked(kwargs["json"])
    if isinstance(kwargs.get("data"), dict):
        return masked(kwargs["data"])
    return None  # raw bytes (file uploads) are not kept


def _recorded_response_body(response: requests.Response):
    content_type = response.headers.get("Content-Type", "")
    if not response.content:
        return None
    if "json" in content_type:
        try:
            return masked(json.loads(response.content))
        except ValueError:
            pass
    if content_type.startswith("text/") or "json" in content_type:
        return response.text[:RECORDED_TEXT_CHARS]
    return f"<{len(response.content)} bytes of {content_type or 'unknown type'}>"


def masked(value, key: str | None = None):
    """`value` with every secret field, at any depth, replaced by MASKED."""
    if key in SECRET_FIELDS:
        return MASKED
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value
