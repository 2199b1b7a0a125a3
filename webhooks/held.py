"""Requests for apps this site does not know yet: held whole, verified later.

An app can be installed on an account before anyone of that account has
logged in here, or by a colleague elsewhere; its webhooks then name a client
id with no installation row, so there is no secret to verify them with.
Refusing them (401) counts as a failed delivery on LivePerson (anything but
200 or 201 is, docs/WEBHOOKS.md): with retention-time retries the whole app
goes into a failed state and every event waits. So such a request is
answered 200 and kept whole (reason "held"); once
the app becomes known (a user of the account lists or opens it, which stores
its installation and, on PostgreSQL, wakes the workers through a trigger), the
worker verifies each held request with the app's secret and stores the valid
ones as if they had just arrived, in order (README, "Apps this site does not
know yet").

Holding is bounded, since anyone can claim any account: bytes per claimed
account and in all (per process, counted here), the per-sender limit on
recorded refusals (webhooks.refusals), and WEBHOOK_HELD_HOURS, after which a
request still held is kept as a refused one, its body cut.
"""

import logging
import time
from datetime import timedelta

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import Func, IntegerField, Sum
from django.utils import timezone

from apps_admin.models import Installation
from webhooks import notifications, publish, records, store
from webhooks.models import Delivery
from worker.wake import wake

logger = logging.getLogger(__name__)

RELEASE_CHUNK = 100


class OctetLength(Func):
    """PostgreSQL's octet_length (bytes, what the quota counts); SQLite's length counts characters."""

    function = "OCTET_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="LENGTH", **extra_context)


QUOTA_REFRESH_SECONDS = 30.0
SIGNATURE_HEADER = "x-liveperson-signature"
Reason = Delivery.Reason


# --- Holding (the receiver) --------------------------------------------------------


class HoldQuota:
    """Bytes held per claimed account and in all, counted in this process and
    read again from the database now and then (released ones free their room)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._accounts: dict[str, tuple[float, int]] = {}
        self._total: tuple[float, int] | None = None

    async def admit(self, account_id: str, size: int) -> bool:
        """Whether `size` more bytes may be held for the account; counts them if so."""
        now = self._clock()
        if self._total is None or self._total[0] < now:
            self._total = (now + QUOTA_REFRESH_SECONDS, await database_sync_to_async(held_bytes)())
        cached = self._accounts.get(account_id)
        if cached is None or cached[0] < now:
            cached = (now + QUOTA_REFRESH_SECONDS, await database_sync_to_async(held_bytes)(account_id))
        account_bytes, total = cached[1] + size, self._total[1] + size
        if (
            account_bytes > settings.WEBHOOK_HELD_MAX_BYTES_PER_ACCOUNT
            or total > settings.WEBHOOK_HELD_MAX_BYTES
        ):
            self._accounts[account_id] = cached
            return False
        self._accounts[account_id] = (cached[0], account_bytes)
        self._total = (self._total[0], total)
        return True


def held_bytes(account_id: str | None = None) -> int:
    held = Delivery.objects.filter(reason=Reason.HELD)
    if account_id is not None:
        held = held.filter(account_id=account_id)
    return held.aggregate(size=Sum(OctetLength("body")))["size"] or 0


_quota: HoldQuota | None = None


def quota() -> HoldQuota:
    global _quota
    if _quota is None:
        _quota = HoldQuota()
    return _quota


def reset_quota() -> None:
    global _quota
    _quota = None


# --- Releasing (the worker) --------------------------------------------------------


def held_release() -> int:
    """Verify and store the held requests of apps now known; returns how many were settled."""
    settled = _expire()
    for account_id, client_id in _apps_with_held():
        secret = _secret(account_id, client_id)
        if secret:
            settled += _release_app(account_id, client_id, secret)
    return settled


def _apps_with_held() -> list[tuple[str, str]]:
    return list(Delivery.objects.filter(reason=Reason.HELD).values_list("account_id", "client_id").distinct())


def _secret(account_id: str, client_id: str) -> str:
    installation = (
        Installation.objects.for_account(account_id).installed().filter(client_id=client_id).first()
    )
    return installation.client_secret if installation else ""


def _release_app(account_id: str, client_id: str, secret: str) -> int:
    settled = 0
    while True:
        with transaction.atomic():
            # FOR UPDATE, not SKIP LOCKED: a second worker waits, so the app's
            # requests are stored in the order they arrived.
            rows = list(
                Delivery.objects.select_for_update()
                .filter(reason=Reason.HELD, account_id=account_id, client_id=client_id)
                .order_by("received_at", "pk")[:RELEASE_CHUNK]
            )
            if not rows:
                return settled
            _settle(rows, secret)
        settled += len(rows)


def _settle(rows: list[Delivery], secret: str) -> None:
    """Store the verified ones as new deliveries, keep the others as refused; in the caller's transaction."""
    verified = [row for row in rows if _verified(row, secret)]
    for row in rows:
        if row not in verified:
            _refuse(row, 401, Reason.BAD_SIGNATURE, "held until the app was known; its signature is wrong")
    if not verified:
        return
    stored = store.store_batch([_record(row) for row in verified])
    Delivery.objects.filter(pk__in=[row.pk for row in verified]).delete()
    publish.pending_broadcasts_record(stored)  # the worker's broadcast job sends them
    wake()
    logger.info("released %d held webhook deliveries of app %s", len(verified), verified[0].client_id)


def _verified(row: Delivery, secret: str) -> bool:
    signature = str((row.headers or {}).get(SIGNATURE_HEADER, ""))
    return notifications.signature_valid(row.body.encode(), signature, secret)


def _record(row: Delivery) -> records.DeliveryRecord:
    """The record the receiver would have made of this request, had it known the app."""
    signature = str(row.headers.get(SIGNATURE_HEADER, ""))
    record = records.DeliveryRecord(
        status=200,
        accepted=True,
        reason=Reason.ACCEPTED,
        account_id=row.account_id,
        client_id=row.client_id,
        method=row.method,
        remote_address=row.remote_address,
        headers=row.headers,
        sealed_headers=row.sealed_headers,
        body=row.body,
        received_at=row.received_at,
        signature_algorithm=notifications.signature_algorithm(signature),
        signature_valid=True,
        detail=f"held from {row.received_at:%Y-%m-%d %H:%M:%S} UTC until the app was known here",
    )
    try:
        record.notification_type, record.changes = notifications.parse(row.body.encode(), records.limits())
    except ValueError as exc:  # json's errors, NotANotificationError and its kinds
        (record.status, record.reason), record.accepted = notifications.refusal(exc), False
        record.detail = str(exc)
    return record


def _expire() -> int:
    """Requests held longer than WEBHOOK_HELD_HOURS become refused ones (401), their body cut."""
    cutoff = timezone.now() - timedelta(hours=settings.WEBHOOK_HELD_HOURS)
    expired = list(Delivery.objects.filter(reason=Reason.HELD, received_at__lt=cutoff)[:RELEASE_CHUNK])
    for row in expired:
        _refuse(
            row,
            401,
            Reason.UNKNOWN_APP,
            f"held {settings.WEBHOOK_HELD_HOURS:g} h; the app never became known",
        )
    return len(expired)


def _refuse(row: Delivery, status: int, reason: str, detail: str) -> None:
    row.status, row.reason, row.detail = status, reason, detail
    row.body_truncated = row.body_truncated or len(row.body) > settings.WEBHOOK_UNVERIFIED_KEPT_BYTES
    row.body = row.body[: settings.WEBHOOK_UNVERIFIED_KEPT_BYTES]
    row.save(update_fields=["status", "reason", "detail", "body", "body_truncated"])
