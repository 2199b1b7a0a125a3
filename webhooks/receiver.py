"""POST /notifications/event: LivePerson's webhook notifications.

A plain ASGI application, outside Django's middleware stack: this path is
called by LivePerson, not by browsers (no session, cookies or CSRF), it must
answer within 2.5 s under load, and Django's middleware stack costs CPU on
every request (docs/PERFORMANCE.md). It answers: 200 accepted (a redelivery
included), 200 held (an app not known here yet: webhooks.held), 401 missing
headers, uninstalled app or bad signature, 400 malformed, too deep or not a
notification, 413 too large or too many changes, 405 other methods, and 503
when it cannot store in time. Every request it reads is recorded, refused
ones within their sender's allowance (webhooks.refusals).
"""

import asyncio
import json
import logging
import time

from django.conf import settings
from django.db import DatabaseError

from core import addresses, crypto, logs
from webhooks import budgets, held, ingest, notifications, records, refusals, secrets
from webhooks.models import Delivery
from webhooks.records import DeliveryRecord

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
        account_id=headers.get(ACCOUNT_HEADER, "").strip(),
        client_id=headers.get(CLIENT_HEADER, "").strip(),
        headers=masked(headers),
        remote_address=_remote_address(scope, headers),
        request_id=logs.request_id_var.get(),
    )
    if scope["method"] != "POST":
        await _drain(receive)
        return await _finish(send, _rejected(record, 405, Reason.METHOD_NOT_ALLOWED), allow="POST")
    body, too_large = await _read_body(receive, settings.WEBHOOK_MAX_BODY_BYTES)
    if too_large:
        _rejected(record, 413, Reason.TOO_LARGE)
    else:
        try:
            await _decide(record, headers, body)
        except budgets.OverBudgetError as exc:
            return await _over_budget(send, exc)
    _keep_body(record, body, too_large, headers)
    return await _finish(send, record)


async def _decide(record: DeliveryRecord, headers: dict, body: bytes) -> None:
    """Verify and parse; sets the record's status, reason and changes."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (record.account_id and record.client_id and signature):
        _rejected(record, 401, Reason.MISSING_HEADERS)
        return
    record.signature_algorithm = notifications.signature_algorithm(signature)
    app = await secrets.app_for(record.account_id, record.client_id)
    if not app.secret:
        await _unknown_app(record, app, body)
        return
    record.signature_valid = notifications.signature_valid(body, signature, app.secret)
    if not record.signature_valid:
        _rejected(record, 401, Reason.BAD_SIGNATURE)
        return
    large_body = len(body) >= PARSE_IN_THREAD_BYTES
    if large_body and budgets.large_changes().exhausted(record.account_id):
        raise budgets.OverBudgetError("this account's large deliveries are over their budget")
    try:
        record.notification_type, record.changes = await _parse(body)
    except ValueError as exc:  # json's errors, NotANotificationError and its kinds
        status, reason = notifications.refusal(exc)
        _rejected(record, status, reason).detail = str(exc)
        if reason == Reason.TOO_MANY_CHANGES:
            budgets.large_changes().charge(record.account_id, settings.WEBHOOK_MAX_CHANGES)
        return
    record.accepted = True


# Parsing a body near the size limit takes ~10 ms: on the event loop, every other
# request of the process would wait for it. In a thread, Python's GIL hands the
# loop a turn every few milliseconds instead. Small bodies stay on the loop,
# where a thread hop would cost more than the parse.
PARSE_IN_THREAD_BYTES = 64 * 1024


async def _parse(body: bytes):
    if len(body) < PARSE_IN_THREAD_BYTES:
        return notifications.parse(body, records.limits())
    return await asyncio.to_thread(notifications.parse, body, records.limits())


async def _unknown_app(record: DeliveryRecord, app: secrets.App, body: bytes) -> None:
    """Hold the request of an app not known here yet (200), or refuse it (401)."""
    if app.uninstalled:
        _rejected(record, 401, Reason.UNKNOWN_APP).detail = "the app was uninstalled"
    elif not _is_utf8(body):
        # Kept as text, it could never be verified: the signature is over the exact bytes.
        _rejected(record, 401, Reason.UNKNOWN_APP).detail = "not held: the body is not UTF-8"
    elif await held.quota().admit(record.account_id, len(body)):
        _rejected(record, 200, Reason.HELD)
    else:
        _rejected(record, 401, Reason.UNKNOWN_APP).detail = "not held: the room for held requests is full"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _keep_body(record: DeliveryRecord, body: bytes, too_large: bool, headers: dict) -> None:
    """The whole body of a verified or held request, and its masked headers sealed;
    the start of any other."""
    if record.signature_valid or record.reason == Reason.HELD:
        record.body, record.body_truncated = body.decode("utf-8", "replace"), too_large
        record.sealed_headers = sealed_headers(headers)
        return
    # An unverified request could come from anyone: enough of it to debug with, at
    # most the limit in stored bytes (a replaced byte is three in UTF-8).
    limit = settings.WEBHOOK_UNVERIFIED_KEPT_BYTES
    text = body[:limit].decode("utf-8", "replace").replace("\x00", "\ufffd")  # jsonb holds no NUL
    start = text.encode()[:limit].decode("utf-8", "ignore")
    record.body, record.body_truncated = start, too_large or len(body) > limit


def _rejected(record: DeliveryRecord, status: int, reason: str) -> DeliveryRecord:
    record.status, record.reason, record.accepted = status, reason, False
    return record


def _remote_address(scope, headers: dict) -> str:
    peer = (scope.get("client") or [None])[0]
    return addresses.client_address(peer, headers.get("x-forwarded-for", "")) or ""


async def _finish(send, record: DeliveryRecord, allow: str = "") -> int:
    """Store the record, then answer; 503 when it could not be stored.

    A refused request is recorded only within its sender's allowance
    (webhooks.refusals); beyond it, it is answered the same and counted.
    """
    extra = {"allow": allow} if allow else {}
    if not record.accepted:
        recorded, unrecorded_before = refusals.recorder().admit(record.remote_address)
        if not recorded and record.reason == Reason.HELD:
            # Not kept, so not acknowledged: were it LivePerson's, it is sent again.
            return await _respond(send, 401, {"status": Reason.UNKNOWN_APP, "events": 0})
        if not recorded:
            return await _respond(send, record.status, {"status": record.reason, "events": 0}, **extra)
        if unrecorded_before:
            record.detail = f"{record.detail}; " if record.detail else ""
            record.detail += (
                f"{unrecorded_before} refused requests from this address before it were not recorded"
            )
    try:
        stored = await ingest.get_writer().store(record)
    except budgets.OverBudgetError as exc:
        return await _over_budget(send, exc)
    except ingest.OverloadedError as exc:
        # Not recorded: writing would add to the overload. LivePerson retries.
        logger.warning("webhook refused with 503: %s", exc)
        return await _respond(send, 503, {"status": "busy"}, retry_after="1")
    except DatabaseError:
        return await _respond(send, 503, {"status": "unavailable"}, retry_after="5")
    body = {"status": stored.delivery.reason, "events": stored.delivery.event_count}
    if record.detail:
        body["detail"] = record.detail
    return await _respond(send, record.status, body, **extra)


async def _over_budget(send, exc: budgets.OverBudgetError) -> int:
    """503, later (webhooks/budgets.py): not recorded, like any overload; LivePerson retries."""
    logger.warning("webhook refused with 503: %s", exc)
    await asyncio.sleep(settings.WEBHOOK_OVER_BUDGET_DELAY_SECONDS)
    return await _respond(send, 503, {"status": "busy"}, retry_after="5")


# What proxies and HTTP itself add: not the app's, never forwarded or replayed.
NOT_THE_APPS = {"forwarded", "via", "te", "transfer-encoding", "expect", "keep-alive", "upgrade", "cookie"}


def sealed_headers(headers: dict) -> str:
    """The values `masked` hides (the app's custom headers), encrypted; "" when none.

    The forwarder and replays send them on as LivePerson sent them (docs/FORWARDING.md).
    Encrypted, like the client secrets: they may be the keys of the user's own server.
    """
    hidden = {
        name: value
        for name, value in headers.items()
        if name not in VISIBLE_HEADERS and name not in NOT_THE_APPS and not name.startswith("x-forwarded-")
    }
    return crypto.encrypt(json.dumps(hidden)) if hidden else ""


def unsealed_headers(sealed: str) -> dict[str, str]:
    """The headers `sealed_headers` kept; {} when none, or when no configured key opens them."""
    if not sealed:
        return {}
    try:
        return json.loads(crypto.decrypt(sealed))
    except crypto.InvalidToken:
        logger.warning("sealed headers of a delivery cannot be opened with the configured keys")
        return {}


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
