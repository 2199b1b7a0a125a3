"""LivePerson's side of webhooks: post the notifications queued in the outbox
(sandbox.messaging._queue) to each app's endpoints, signed, with LivePerson's
retry policy (docs/WEBHOOKS.md, 'What LivePerson documents').

`run_due` is a background worker job, never called in the request that caused
the event. Work is claimed from the database with a lease (worker.claims), so
several workers can run at once and a killed one loses nothing: its claims
expire and another worker takes them over. A POST that was in flight when a worker died is made
again, so an endpoint may see it twice, as LivePerson's endpoints may (docs/WEBHOOKS.md:
receivers dedupe on conversation and sequence); nothing else is done twice.

Retries and order (LivePerson's Retry Policy page; docs/WEBHOOKS.md, 'What LivePerson
documents'), read from the app's installation at each attempt:
- With `capabilities.webhooks.retry.retention_time` (s), retry by time to live:
  retries after 2 s, 4 s, 8 s... (at most 5 min apart) until delivered, then
  dropped once the next retry would fall after `created_at + retention_time`.
  Every webhook retries, also one without `max_retries`; only an explicit
  `max_retries` 0 drops its failure, unless the app is FAILED. The app is FAILED
  while any of its notifications waits for a retry (pending, attempted before):
  then every other notification of the app, of every conversation, is held
  until that retry succeeds ("all events for each webhook endpoint are stored in
  the retry mechanism, regardless if the endpoint works or not"). Within a
  conversation, notifications go out in order (head of line). Approximated:
  held notifications are sent after the recovery rather than with each retry,
  and there is no drain period.
- Without it, retry by numbers: per webhook `max_retries` (0-5, default 0)
  retries, 30 s apart, and no order across a failing event: the later events of
  its conversation go on meanwhile, so the failed one may arrive after them, as
  LivePerson warns ("it is possible that a subsequent event will be delivered before").
SANDBOX_WEBHOOK_RETRY_SCALE multiplies every retry delay and the retention
window, so tests run the real sequence quickly.

Signatures are sha1 unless the sandbox account's `webhook_signature` is
sha256 (LivePerson signs with SHA-256 for accounts that asked for it).
Neither the client secret nor the signature is ever logged or stored.
"""

import base64
import hashlib
import hmac
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from sandbox import messaging
from sandbox.models import DeliveryAttempt, Notification
from worker import claims

logger = logging.getLogger(__name__)

SUCCESS_STATUSES = {200, 201}  # anything else is a failure (docs/WEBHOOKS.md)
COUNT_RETRY_SECONDS = 30
BACKOFF_FIRST_SECONDS = 2
BACKOFF_MAX_SECONDS = 5 * 60
ERROR_LENGTH = 300  # Notification.last_error and DeliveryAttempt.error
Status = Notification.Status


@dataclass
class Post:
    """One signed request, ready to send: built in the claiming thread, sent in the pool."""

    url: str
    headers: dict
    body: bytes


@dataclass
class Outcome:
    url: str
    started_at: datetime
    duration_ms: float
    status_code: int | None = None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code in SUCCESS_STATUSES


# --- The job ---------------------------------------------------------------------


def run_due() -> int:
    """Worker job: post (or drop) the due notifications; returns how many were handled.

    Claims up to SANDBOX_WEBHOOK_BATCH heads of different conversations, posts
    them concurrently and records each outcome as soon as it arrives.
    """
    claimed = notifications_claim(limit=settings.SANDBOX_WEBHOOK_BATCH)
    posts = {}
    for notification in claimed:
        prepared = post_for(notification)
        if isinstance(prepared, str):
            notification_drop(notification, reason=prepared)
        else:
            posts[notification] = prepared
    for notification, outcome in _send_all(posts):
        notification_record(notification, outcome)
    return len(claimed)


def run_forever(stop: threading.Event, *, poll: float = 0.05) -> None:
    """Run the job until `stop` is set, polling when idle (tests run it in a thread)."""
    try:
        while not stop.is_set():
            if not run_due():
                stop.wait(poll)
    finally:
        connection.close()  # this thread's connection, back to the pool


# --- Claiming --------------------------------------------------------------------


# The app retries by time to live (it has a retention_time; 0 is never stored). isnull, not
# has_key: has_key is NULL where `retry` is missing, and NOT NULL would exclude the row.
BY_TIME_TO_LIVE = Q(installation__data__capabilities__webhooks__retry__retention_time__isnull=False)


def due_heads(now: datetime) -> QuerySet:
    """Pending notifications due now that nothing holds back (see the module's docstring):
    no older one of their conversation goes first (by numbers, an older one awaiting its
    retry does not hold them), and none of a FAILED app's that was never tried goes."""
    pending = Notification.objects.pending()
    older = pending.filter(
        installation=OuterRef("installation"),
        conversation_id=OuterRef("conversation_id"),
        pk__lt=OuterRef("pk"),
    ).filter(BY_TIME_TO_LIVE | Q(attempts=0))
    app_failed = pending.filter(installation=OuterRef("installation"), attempts__gt=0)
    held_by_failed_app = Q(attempts=0) & BY_TIME_TO_LIVE & Exists(app_failed)
    return (
        pending.filter(next_attempt_at__lte=now)
        .filter(~Exists(older))
        .exclude(held_by_failed_app)
        .order_by("pk")
    )


def notifications_claim(*, limit: int) -> list[Notification]:
    """Lease up to `limit` due heads to this caller (free leases only; on PostgreSQL,
    rows another worker is claiming are skipped), with their app and account."""
    claimed = claims.claim(due_heads(timezone.now()), limit=limit, lease_seconds=lease_seconds())
    prefetch_related_objects(claimed, "installation__account")
    return claimed


def lease_seconds() -> float:
    # Never shorter than the longest POST, or a live worker's claim could be taken over.
    longest_post = settings.SANDBOX_WEBHOOK_CONNECT_TIMEOUT + settings.SANDBOX_WEBHOOK_READ_TIMEOUT
    return max(settings.WORKER_LEASE_SECONDS, longest_post + 5)


# --- Building the request (docs/WEBHOOKS.md) -------------------------------------


def post_for(notification: Notification) -> Post | str:
    """The signed request for the app's current configuration, or why it is dropped."""
    installation = notification.installation
    if installation.deleted or not installation.data.get("enabled", False):
        return "the app was disabled or deleted"
    config = messaging.webhook_config(installation, notification.webhook) or {}
    endpoint = config.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return f"the app has no endpoint for {notification.webhook} any more"
    expiry = retention_expiry(notification)
    if expiry and timezone.now() >= expiry:
        return "retention_time expired"
    body = notification.body.encode()
    headers = custom_headers(config)
    # LivePerson's own headers last: a custom header cannot replace them.
    headers.update(
        {
            "Content-Type": "application/json",
            "x-liveperson-account-id": installation.account.account_id,
            "x-liveperson-client-id": installation.client_id,
            "x-liveperson-signature": sign(
                body, installation.client_secret, installation.account.webhook_signature
            ),
        }
    )
    return Post(url=reachable_url(endpoint), headers=headers, body=body)


def sign(body: bytes, secret: str, algorithm: str = "sha1") -> str:
    """`<algorithm>=` + base64 HMAC of the exact body bytes (docs/WEBHOOKS.md)."""
    digest = hashlib.sha256 if algorithm == "sha256" else hashlib.sha1
    name = "sha256" if algorithm == "sha256" else "sha1"
    return f"{name}=" + base64.b64encode(hmac.new(secret.encode(), body, digest).digest()).decode()


def custom_headers(config: dict) -> dict:
    """The webhook's configured `[{header_name, header_value}]`, added to every POST."""
    headers = {}
    for header in config.get("headers") or []:
        if isinstance(header, dict) and header.get("header_name"):
            headers[str(header["header_name"]).strip()] = str(header.get("header_value", ""))
    return headers


def reachable_url(endpoint: str) -> str:
    """The endpoint, with https turned into http on the local hosts that serve plain http."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname in settings.SANDBOX_WEBHOOK_PLAIN_HTTP_HOSTS:
        return urlunsplit(parts._replace(scheme="http"))
    return endpoint


# --- Sending ---------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _send_all(posts: dict):
    """Yield (notification, outcome) as each POST finishes. The pool threads only do
    HTTP; the database is written by the caller's thread."""
    if len(posts) == 1:  # the usual case: no hand-over between threads
        [(notification, post)] = posts.items()
        yield notification, send(post)
        return
    futures = {_executor().submit(send, post): notification for notification, post in posts.items()}
    for future in as_completed(futures):
        yield futures[future], future.result()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, settings.SANDBOX_WEBHOOK_BATCH), thread_name_prefix="webhook-post"
            )
        return _pool


def send(post: Post) -> Outcome:
    """POST once, with LivePerson's timeouts; never raises for the endpoint's faults."""
    started_at, clock = timezone.now(), time.monotonic()

    def outcome(**result) -> Outcome:
        return Outcome(post.url, started_at, (time.monotonic() - clock) * 1000, **result)

    timeouts = (settings.SANDBOX_WEBHOOK_CONNECT_TIMEOUT, settings.SANDBOX_WEBHOOK_READ_TIMEOUT)
    try:
        # stream: the answer's body is never read; only its status counts.
        with requests.post(
            post.url,
            data=post.body,
            headers=post.headers,
            timeout=timeouts,
            allow_redirects=False,
            stream=True,
        ) as response:
            return outcome(status_code=response.status_code)
    except requests.ConnectTimeout:
        return outcome(error=f"no connection within {timeouts[0]:g} s")
    except requests.ReadTimeout:
        return outcome(error=f"no answer within {timeouts[1]:g} s")
    except requests.ConnectionError as error:
        return outcome(error=f"connection failed: {_root_cause(error)}")
    except (requests.RequestException, ValueError) as error:  # bad URL or header value
        return outcome(error=f"{type(error).__name__}: {error}")


def _root_cause(error: BaseException) -> str:
    """The innermost exception (e.g. ConnectionRefusedError), not urllib3's wrappers."""
    for _ in range(10):  # a bounded walk: exception chains can loop
        if error.__context__ is None:
            break
        error = error.__context__
    return f"{type(error).__name__}: {error}"


# --- Recording -------------------------------------------------------------------


def notification_record(notification: Notification, outcome: Outcome) -> None:
    """Store the attempt and what follows from it: delivered, retried later, or dropped."""
    now = timezone.now()
    attempts = notification.attempts + 1
    summary = outcome.error  # an HTTP failure is told by last_status
    fields = {"attempts": attempts, "last_status": outcome.status_code}
    if outcome.succeeded:
        fields.update(status=Status.DELIVERED, finished_at=now)
    else:
        retry_at = next_attempt_at(notification, attempts=attempts, now=now)
        if isinstance(retry_at, str):
            summary = "; ".join(filter(None, [summary, f"dropped: {retry_at}"]))
            fields.update(status=Status.DROPPED, finished_at=now)
        else:
            fields.update(next_attempt_at=retry_at)
    fields["last_error"] = summary[:ERROR_LENGTH]
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            notification=notification,
            url=outcome.url[:2000],
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error[:ERROR_LENGTH],
            succeeded=outcome.succeeded,
        )
        _release(notification, **fields)
    result = fields.get("status", "retry scheduled")
    logger.info(
        "webhook %s #%s: %s %s %s",
        notification.webhook,
        notification.pk,
        outcome.status_code,
        result,
        summary,
    )


def notification_drop(notification: Notification, *, reason: str) -> None:
    """Give up without posting (the app or its endpoint is gone, or it expired)."""
    _release(notification, status=Status.DROPPED, finished_at=timezone.now(), last_error=reason)
    logger.info("webhook %s #%s dropped: %s", notification.webhook, notification.pk, reason)


def _release(notification: Notification, **fields) -> None:
    # Only while the claim is still ours: after a lost lease, the new owner decides
    # (the attempt itself stays recorded: the POST did happen).
    if not claims.complete(notification, **fields):
        logger.warning("webhook #%s: lease lost before its outcome was recorded", notification.pk)


# --- Retry policy (docs/WEBHOOKS.md) -----------------------------------------------


def next_attempt_at(notification: Notification, *, attempts: int, now: datetime) -> datetime | str:
    """When to retry after the `attempts`-th failed attempt, or why not (the drop reason)."""
    installation = notification.installation
    config = messaging.webhook_config(installation, notification.webhook) or {}
    max_retries = _non_negative_int(config.get("max_retries"))
    scale = settings.SANDBOX_WEBHOOK_RETRY_SCALE
    expiry = retention_expiry(notification)
    if expiry is None:
        if attempts > max_retries:
            return f"max_retries ({max_retries}) exhausted"
        return now + timedelta(seconds=COUNT_RETRY_SECONDS * scale)
    # Missing is not 0 here: every webhook retries by time to live unless it says 0.
    if "max_retries" in config and max_retries == 0 and not app_failing(notification):
        return "max_retries is 0 and the app is not failing"
    backoff = min(BACKOFF_FIRST_SECONDS * 2 ** min(attempts - 1, 20), BACKOFF_MAX_SECONDS)
    retry_at = now + timedelta(seconds=backoff * scale)
    if retry_at >= expiry:
        return "retention_time expired"
    return retry_at


def retention_expiry(notification: Notification) -> datetime | None:
    """created_at + the app's retention_time (scaled), or None without one."""
    webhooks = (notification.installation.data.get("capabilities") or {}).get("webhooks") or {}
    seconds = _non_negative_int((webhooks.get("retry") or {}).get("retention_time"))
    if not seconds:
        return None
    return notification.created_at + timedelta(seconds=seconds * settings.SANDBOX_WEBHOOK_RETRY_SCALE)


def app_failing(notification: Notification) -> bool:
    """The app's FAILED state, approximated: another notification of it awaits a retry."""
    return (
        Notification.objects.pending()
        .filter(installation_id=notification.installation_id, attempts__gt=0)
        .exclude(pk=notification.pk)
        .exists()
    )


def _non_negative_int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


# --- For people ----------------------------------------------------------------------


def notifications_recent(*, limit: int = 20) -> list[Notification]:
    """The latest notifications, for the sandbox page: what LivePerson "sent"."""
    return list(Notification.objects.select_related("installation").order_by("-pk")[:limit])
