"""Log lines with the request id, as JSON or text, and the one access line per request.

The request id comes from nginx's `X-Request-ID` when it is well formed, else it
is made here; it lives in a context variable, so every line logged while a
request is served (in its thread or task) carries it. Access lines hold the
path without its query string: query strings may carry secrets.
"""

import contextvars
import json
import logging
import re
import time
import uuid

access_logger = logging.getLogger("connector_site.access")

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def request_id_from(value: str | None) -> str:
    """The proxy's request id when it is well formed, else a new one."""
    if value and REQUEST_ID_PATTERN.match(value):
        return value
    return uuid.uuid4().hex


def access(method: str, path: str, status: int, started: float, user_id=None) -> None:
    """The access line of one request; `started` is its time.monotonic()."""
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    extra = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": duration_ms,
        "user_id": user_id,
        "request_id": request_id_var.get(),
    }
    access_logger.info("%s %s %s %.1fms", method, path, status, duration_ms, extra=extra)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (the request being served, or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        attributes = vars(record)
        for name in attributes.keys() - _STANDARD_ATTRIBUTES:
            if not name.startswith("_"):
                line[name] = attributes[name]
        if hasattr(line.get("request"), "path"):
            # django.request passes the request, whose repr shows the query string,
            # and query strings can carry secrets (the original app's
            # client_secret: docs/LIVEPERSON.md, 'Connector authorization: AppJWT').
            line["request"] = f"{line['request'].method} {line['request'].path}"
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
