"""The one HTTP transport for LivePerson: a shared requests Session with
timeouts on every call, retries only where repeating is safe, typed errors,
and log lines that never carry a secret.
"""

import logging
import re
import time
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from liveperson import errors, recording

logger = logging.getLogger(__name__)

ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Methods that may be repeated without changing the outcome (RFC 9110, section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = (502, 503, 504)

_STATUS_ERRORS = {
    401: errors.UnauthorizedError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    412: errors.ConflictError,
}

_session: requests.Session | None = None


def _build_session() -> requests.Session:
    session = requests.Session()
    # The session is shared by every user of this process: it must never keep a
    # LivePerson cookie (Session_id) and send it on someone else's request.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    retry = Retry(
        total=settings.LIVEPERSON_RETRIES,
        connect=settings.LIVEPERSON_RETRIES,  # request never sent: always safe
        read=0,  # a slow LivePerson stays slow; do not multiply the wait
        status=settings.LIVEPERSON_RETRIES,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        backoff_factor=0.2,
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get_session() -> requests.Session:
    global _session
    if _session is None:
        _session = _build_session()
    return _session


def reset_session() -> None:
    """Drop the shared session (tests change retry settings)."""
    global _session
    _session = None


def account_path(account_id: str) -> str:
    """Validate an account id before it goes into a URL path."""
    if not ACCOUNT_ID_PATTERN.match(account_id or ""):
        raise ValueError("an account id is letters, digits, '-' or '_'")
    return quote(account_id, safe="")


def path_segment(value: str) -> str:
    """Quote an id for use as one URL path segment (no '/' or '..' tricks)."""
    if not value or value in {".", ".."}:
        raise ValueError("an id cannot be empty, '.' or '..'")
    return quote(value, safe="")


def service_url(base_uri: str, path: str) -> str:
    """URL of `path` on a host (or host/prefix) from CSDS."""
    return f"{settings.LIVEPERSON_SCHEME}://{base_uri.rstrip('/')}{path}"


def _loggable(url: str) -> str:
    """The URL without its query string, which may carry secrets (the original
    app's client_secret: docs/LIVEPERSON.md, 'Connector authorization: AppJWT')."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def request(method: str, url: str, *, service: str, **kwargs) -> requests.Response:
    """Make one call and map every failure to a `LivePersonError` subclass.

    Returns the response only for 2xx statuses.
    """
    kwargs.setdefault("timeout", (settings.LIVEPERSON_CONNECT_TIMEOUT, settings.LIVEPERSON_READ_TIMEOUT))
    started = time.monotonic()
    exchange = recording.exchange_start(method, _loggable(url), service, kwargs)
    try:
        response = _send(method, url, service, started, kwargs)
    except errors.LivePersonError as exc:
        recording.exchange_end(exchange, started, error=str(exc))
        raise
    recording.exchange_end(exchange, started, response=response)
    if not 200 <= response.status_code < 300:
        error = _status_error(response, service)
        if exchange is not None:
            exchange.error = str(error)
        raise error
    return response


def _send(method: str, url: str, service: str, started: float, kwargs: dict) -> requests.Response:
    """The response, whatever its status; transport failures become typed errors."""
    try:
        response = get_session().request(method, url, **kwargs)
    except requests.Timeout as exc:
        # ConnectTimeout is both a Timeout and a ConnectionError: it is unreachable.
        if isinstance(exc, requests.ConnectTimeout):
            _log(method, url, service, "unreachable", started)
            raise errors.UnreachableError(f"{service}: connection timed out", service=service) from None
        _log(method, url, service, "timed out", started)
        raise errors.TimedOutError(f"{service}: no answer in time", service=service) from None
    except requests.ConnectionError as exc:
        if _is_read_timeout(exc):
            _log(method, url, service, "timed out", started)
            raise errors.TimedOutError(f"{service}: no answer in time", service=service) from None
        _log(method, url, service, "unreachable", started)
        raise errors.UnreachableError(f"{service}: cannot connect", service=service) from None
    except requests.RequestException as exc:
        _log(method, url, service, type(exc).__name__, started)
        raise errors.UnreachableError(f"{service}: {type(exc).__name__}", service=service) from None
    _log(method, url, service, response.status_code, started)
    return response


def _is_read_timeout(exc: requests.ConnectionError) -> bool:
    """With read retries off, urllib3 reports a read timeout as a ConnectionError."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, ReadTimeoutError)


def _status_error(response: requests.Response, service: str) -> errors.LivePersonError:
    status = response.status_code
    message = f"{service}: HTTP {status}"
    if status == 429:
        return errors.RateLimitedError(
            message, retry_after=_retry_after(response), status=status, service=service
        )
    error_class = _STATUS_ERRORS.get(status, errors.UnexpectedResponseError)
    if status == 401 and (auth_error := _connector_auth_error(response, message, service)):
        return auth_error
    return error_class(message, status=status, service=service, detail=_error_detail(response))


def _connector_auth_error(response: requests.Response, message: str, service: str):
    """The typed error of a Connector API 401 ({"body": {"title", "details", "errorCode"}}), or None."""
    try:
        body = response.json().get("body")
        error_class = errors.CONNECTOR_AUTH_ERRORS[body["errorCode"]]
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    detail = ": ".join(str(body[key]) for key in ("title", "details") if body.get(key))
    return error_class(
        message, error_code=body["errorCode"], status=401, service=service, detail=detail[:300]
    )


def _error_detail(response: requests.Response) -> str:
    """LivePerson's message from an error body ({"error": {"message"}} and similar)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    # {"error": {"message"}} (Login Service, Account Config) or {"body": {"details"}} (Send API).
    nested = next((body[key] for key in ("error", "body") if isinstance(body.get(key), dict)), body)
    message = nested.get("message") or nested.get("details") or ""
    return str(message)[:300] if isinstance(message, str) else ""


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _log(method: str, url: str, service: str, outcome, started: float) -> None:
    """One line per call with its duration; failures (no answer, non-2xx) as warnings."""
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    ok = isinstance(outcome, int) and 200 <= outcome < 300
    logger.log(
        logging.INFO if ok else logging.WARNING,
        "liveperson %s %s %s -> %s in %.0f ms",
        service,
        method,
        _loggable(url),
        outcome,
        elapsed_ms,
        extra={"service": service, "method": method, "outcome": outcome, "duration_ms": elapsed_ms},
    )


def json_body(response: requests.Response, *, service: str):
    """The parsed JSON body, or `UnexpectedResponseError`."""
    try:
        return response.json()
    except ValueError:
        raise errors.UnexpectedResponseError(
            f"{service}: answer is not JSON", status=response.status_code, service=service
        ) from None


def write_answer(response: requests.Response, *, service: str):
    """The JSON body of a write's 2xx answer, or None when it has none: no LivePerson page
    documents the App Install API's answers, and the SEND page's is only an example
    (docs/LIVEPERSON.md, 'Response bodies'). A body that is not JSON raises
    `AnswerUnreadableError`: the write may have been carried out all the same."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise errors.AnswerUnreadableError(
            f"{service}: answer is not JSON", status=response.status_code, service=service
        ) from None
