"""POST /notifications/event: LivePerson's webhook notifications.

A plain ASGI application, outside Django's middleware stack: this path is
called by LivePerson, not by browsers (no session, cookies or CSRF), it must
answer within 2.5 s under load, and each Django middleware costs about a
millisecond of CPU under ASGI (shared/performance-anchors.md). It answers:
200 accepted (a redelivery included), 401 unknown app or bad signature, 400
malformed or not a notification, 413 too large, 405 other methods, and 503
when it cannot store in time. Every request it reads is recorded.
"""

import json
import logging
import time

from django.conf import settings
from django.db import DatabaseError

from connector_site import logs
from webhooks import ingest, notifications, secrets
from webhooks.ingest import DeliveryRecord
from webhooks.models import Delivery

logger = logging.getLogger(__name__)

ACCOUNT_HEADER = "x-liveperson-account-id"
CLIENT_HEADER = "x-liveperson-client-id"
SIGNATURE_HEADER = "x-liveperson-signature"
# Headers shown as they are; any other value (custom headers may carry API keys) is masked.
VISIBLE_HEADERS = {
    ACCOUNT_HEADER,
    CLIENT_HEADER,
    SIGNATURE_HEADER,
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "accept",
    "accept-encoding",
    "connection",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
}
TOO_LARGE_KEPT_BYTES = 64 * 1024
Reason = Delivery.Reason


async def application(scope, receive, send):
    """ASGI entry point for the webhook path; logs one access line (one logger call)."""
    started = time.monotonic()
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    token = logs.request_id_var.set(logs.request_id_from(headers.get("x-request-id")))
    try:
        status = await _handle(scope, receive, send, headers)
        logs.access(scope["method"], scope["path"], status, started)
    finally:
        logs.request_id_var.reset(token)


async def _handle(scope, receive, send, headers: dict) -> int:
    """Answer the request; returns the status sent."""
    record = DeliveryRecord(
        status=200,
        accepted=False,
        reason=Reason.ACCEPTED,
        method=scope["method"],
        account_id=headers.get(ACCOUNT_HEADER, "").strip()[:64],
        client_id=headers.get(CLIENT_HEADER, "").strip()[:128],
        headers=masked(headers),
    )
    if scope["method"] != "POST":
        await _drain(receive)
        return await _finish(send, _rejected(record, 405, Reason.METHOD_NOT_ALLOWED), allow="POST")
    body, too_large = await _read_body(receive, settings.WEBHOOK_MAX_BODY_BYTES)
    # An oversized body is kept in part: enough to see what it was.
    record.body = (body[:TOO_LARGE_KEPT_BYTES] if too_large else body).decode("utf-8", "replace")
    record.body_truncated = too_large
    if too_large:
        return await _finish(send, _rejected(record, 413, Reason.TOO_LARGE))
    await _decide(record, headers, body)
    return await _finish(send, record)


async def _decide(record: DeliveryRecord, headers: dict, body: bytes) -> None:
    """Verify and parse; sets the record's status, reason and changes."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (record.account_id and record.client_id and signature):
        _rejected(record, 401, Reason.MISSING_HEADERS)
        return
    record.signature_algorithm = notifications.signature_algorithm(signature)
    secret = await secrets.client_secret(record.account_id, record.client_id)
    if not secret:
        _rejected(record, 401, Reason.UNKNOWN_APP)
        return
    record.signature_valid = notifications.signature_valid(body, signature, secret)
    if not record.signature_valid:
        _rejected(record, 401, Reason.BAD_SIGNATURE)
        return
    try:
        record.notification_type, record.changes = notifications.parse(body)
    except notifications.NotANotificationError:
        _rejected(record, 400, Reason.NOT_A_NOTIFICATION)
        return
    except ValueError:  # json.JSONDecodeError and UnicodeDecodeError
        _rejected(record, 400, Reason.MALFORMED_JSON)
        return
    record.accepted = True


def _rejected(record: DeliveryRecord, status: int, reason: str) -> DeliveryRecord:
    record.status, record.reason, record.accepted = status, reason, False
    return record


async def _finish(send, record: DeliveryRecord, allow: str = "") -> int:
    """Store the record, then answer; 503 when it could not be stored."""
    try:
        stored = await ingest.get_writer().store(record)
    except ingest.OverloadedError:
        # Not recorded: writing would add to the overload. LivePerson retries.
        logger.warning("webhook refused with 503: %s", "overloaded")
        return await _respond(send, 503, {"status": "busy"}, retry_after="1")
    except DatabaseError:
        return await _respond(send, 503, {"status": "unavailable"}, retry_after="5")
    reason = stored.delivery.reason
    extra = {"allow": allow} if allow else {}
    return await _respond(
        send, record.status, {"status": reason, "events": stored.delivery.event_count}, **extra
    )


def masked(headers: dict) -> dict:
    return {
        name: value if name in VISIBLE_HEADERS else f"•••• ({len(value)} characters)"
        for name, value in headers.items()
    }


async def _read_body(receive, limit: int) -> tuple[bytes, bool]:
    """The body, or its first `limit` bytes and True when it is longer."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
            return b"".join(chunks), True
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), False


async def _drain(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            return


async def _respond(send, status: int, body: dict, *, retry_after: str = "", allow: str = "") -> int:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if retry_after:
        headers.append((b"retry-after", retry_after.encode()))
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
    return status
