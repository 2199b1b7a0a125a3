"""Durable, batched writes of webhook deliveries, then their broadcast.

Every request waits only for the commit of the batch holding its delivery:
requests that arrive while a batch commits form the next batch, so one
transaction (one statement on PostgreSQL) carries many webhooks. Each event
loop has one writer with one database connection: on PostgreSQL an async one
used from the loop itself, elsewhere a thread's. After the commit, new
events go to their conversation's group, and accepted deliveries to their
account's group, in commit order. A failed broadcast loses nothing: events are
numbered per conversation and subscribers catch up from the database; and it is
kept (PendingBroadcast) for the worker to send again as soon as the channel
layer is back (webhooks.broadcasts), sooner than the subscribers' next check.
"""

import asyncio
import contextvars
import logging
import time
import weakref
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from webhooks import group_send, store_postgresql
from webhooks.models import Conversation, Delivery, Event, PendingBroadcast
from webhooks.notifications import Change, Limits

logger = logging.getLogger(__name__)

BROADCAST_TIMEOUT_SECONDS = 2.0
PUBLISH_QUEUE_MAX = 10_000


class OverloadedError(Exception):
    """More is waiting to be written than can be acknowledged in time."""


@dataclass
class DeliveryRecord:
    """What the receiver decided about one request, ready to be stored."""

    status: int
    accepted: bool
    reason: str
    account_id: str = ""
    client_id: str = ""
    method: str = "POST"
    detail: str = ""
    remote_address: str = ""
    signature_algorithm: str = ""
    signature_valid: bool | None = None
    headers: dict = field(default_factory=dict)
    body: str = ""
    body_truncated: bool = False
    notification_type: str = ""
    changes: list[Change] = field(default_factory=list)
    received_at: datetime = field(default_factory=timezone.now)
    # The request's id for the log lines about it (never stored: the access line has it).
    request_id: str = ""

    def fit(self) -> "DeliveryRecord":
        """Cut every text the request chose to its column's length (in place).

        Whatever a stranger sends, the row fits: one request that did not made
        its whole batch fail and be retried record by record.
        """
        for name, length in _TEXT_COLUMNS.items():
            value = getattr(self, name)
            if len(value) > length:
                setattr(self, name, value[:length])
        return self


def _column_lengths(model, names) -> dict[str, int]:
    return {name: model._meta.get_field(name).max_length for name in names}


_TEXT_COLUMNS = _column_lengths(
    Delivery,
    [
        "account_id",
        "client_id",
        "method",
        "detail",
        "remote_address",
        "signature_algorithm",
        "notification_type",
    ],
)


@dataclass
class Stored:
    delivery: Delivery
    events: list[Event]


def limits() -> Limits:
    """What one notification may hold, from the settings."""
    return Limits(max_depth=settings.WEBHOOK_MAX_DEPTH, max_changes=settings.WEBHOOK_MAX_CHANGES)


def account_group_name(account_id: str) -> str:
    return f"account_{account_id}_deliveries"


# --- The transaction --------------------------------------------------------------


def store_batch(records: list[DeliveryRecord]) -> list[Stored]:
    """Store deliveries and their new events in one transaction.

    Conversation rows are locked (in a fixed order) while their events are
    numbered, so concurrent writers in other processes neither reuse a number
    nor store a redelivered change twice.
    """
    if connection.vendor == "postgresql":
        return store_postgresql.store_batch(records)
    return store_batch_orm(records)


def store_batch_orm(records: list[DeliveryRecord]) -> list[Stored]:
    """The same transaction through the ORM, for other databases (SQLite locally)."""
    with transaction.atomic():
        conversations = _lock_conversations(records)
        known = _stored_dedupe_keys(conversations.values(), records)
        decided = [decide_delivery(record, conversations, known) for record in records]
        deliveries = [delivery for delivery, _ in decided]
        Delivery.objects.bulk_create(deliveries)
        for delivery, new in decided:
            for event in new:
                event.delivery = delivery
        Event.objects.bulk_create([event for _, new in decided for event in new])
        changed = [c for c in conversations.values() if c.client_id]
        if changed:
            Conversation.objects.bulk_update(changed, ["last_seq", "last_event_at", "client_id"])
    return [Stored(delivery=delivery, events=new) for delivery, new in decided]


def decide_delivery(record: DeliveryRecord, conversations: dict, known: set) -> tuple[Delivery, list[Event]]:
    """The delivery row and the new events of one record (redeliveries dropped),
    numbering each event in its (locked) conversation."""
    delivery = delivery_from(record)
    new = []
    if record.accepted:
        new = [_event(record, change, conversations, known) for change in record.changes]
        new = [event for event in new if event is not None]
        if record.changes and not new:
            delivery.reason = Delivery.Reason.DUPLICATE
    delivery.event_count = len(new)
    return delivery, new


def _lock_conversations(records: list[DeliveryRecord]) -> dict[tuple[str, str], Conversation]:
    keys = {
        (record.account_id, change.conversation_id)
        for record in records
        if record.accepted
        for change in record.changes
        if change.conversation_id
    }
    if not keys:
        return {}
    now = timezone.now()
    Conversation.objects.bulk_create(
        [
            Conversation(account_id=a, conversation_id=c, first_event_at=now, last_event_at=now)
            for a, c in keys
        ],
        ignore_conflicts=True,
    )
    candidates = (
        Conversation.objects.select_for_update()
        .filter(account_id__in={a for a, _ in keys}, conversation_id__in={c for _, c in keys})
        .order_by("pk")
    )
    locked = {
        (c.account_id, c.conversation_id): c for c in candidates if (c.account_id, c.conversation_id) in keys
    }
    for conversation in locked.values():
        conversation.client_id = ""  # set again for those that get events
    return locked


def _stored_dedupe_keys(conversations, records) -> set[tuple[int, str]]:
    keys = {change.dedupe_key for record in records for change in record.changes if change.dedupe_key}
    if not keys:
        return set()
    return set(
        Event.objects.filter(conversation__in=list(conversations), dedupe_key__in=keys).values_list(
            "conversation_id", "dedupe_key"
        )
    )


def delivery_fields(record: DeliveryRecord) -> dict:
    """The columns of a record's delivery row that the record itself decides."""
    return {
        "received_at": record.received_at,
        "account_id": record.account_id,
        "client_id": record.client_id,
        "method": record.method,
        "status": record.status,
        "accepted": record.accepted,
        "reason": record.reason,
        "detail": record.detail,
        "remote_address": record.remote_address,
        "signature_algorithm": record.signature_algorithm,
        "signature_valid": record.signature_valid,
        "headers": record.headers,
        "body": record.body,
        "body_truncated": record.body_truncated,
        "notification_type": record.notification_type,
    }


def delivery_from(record: DeliveryRecord, **decided) -> Delivery:
    """The delivery row of a record; `decided`: what the transaction settled (pk, reason, event_count)."""
    return Delivery(**{**delivery_fields(record), **decided})


def event_from(record: DeliveryRecord, change: Change, **numbered) -> Event:
    """The event row of one change; `numbered`: its conversation and seq (and pk, delivery)."""
    return Event(
        account_id=record.account_id,
        client_id=record.client_id,
        notification_type=record.notification_type,
        event_type=change.event_type[:64],
        dialog_id=change.dialog_id[:128],
        dedupe_key=change.dedupe_key,
        payload=change.payload,
        received_at=record.received_at,
        **numbered,
    )


def _event(record, change: Change, conversations, known: set) -> Event | None:
    conversation = conversations.get((record.account_id, change.conversation_id))
    if conversation is not None and change.dedupe_key:
        if (conversation.pk, change.dedupe_key) in known:
            return None  # a redelivery: stored already
        known.add((conversation.pk, change.dedupe_key))
    seq = None
    if conversation is not None:
        conversation.last_seq += 1
        conversation.last_event_at = record.received_at
        conversation.client_id = record.client_id
        seq = conversation.last_seq
    return event_from(record, change, conversation=conversation, seq=seq)


def _store_batch_in_writer_thread(records: list[DeliveryRecord]) -> list[Stored]:
    # The writer thread keeps its connection between batches: returning it to
    # the pool each time cost a checkout and a health-check round trip per
    # batch (py-spy, bin/bench). A broken one (PostgreSQL restarted) is dropped,
    # and the next batch connects again.
    try:
        return store_batch(records)
    except DatabaseError:
        connection.close()
        raise


def _close_connection() -> None:
    connection.close()  # resolved in the calling thread: this thread's connection


# --- The writer -------------------------------------------------------------------


@dataclass
class _Pending:
    record: DeliveryRecord
    future: asyncio.Future
    enqueued: float


class _Lane:
    """Deliveries waiting for one connection, committed a batch at a time.

    A batch takes up to `max_records` deliveries and stops growing once it
    holds `max_changes` changes, so that no transaction is unboundedly large.
    """

    def __init__(self, writer: "IngestWriter", *, max_records: int, max_changes: int, max_pending: int):
        self._writer = writer
        self.pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._max_records, self._max_changes, self._max_pending = max_records, max_changes, max_pending
        self._async_store = store_postgresql.AsyncStore() if connection.vendor == "postgresql" else None

    def check_capacity(self) -> None:
        if len(self.pending) >= self._max_pending:
            raise OverloadedError("too many webhooks waiting")
        if self.pending and time.monotonic() - self.pending[0].enqueued > settings.WEBHOOK_MAX_WAIT_SECONDS:
            raise OverloadedError("the database is not keeping up")

    def add(self, record: DeliveryRecord) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.pending.append(_Pending(record, future, time.monotonic()))
        if self._task is None or self._task.done():
            # A context of its own: the task would otherwise carry the request id
            # of the request that happened to start it into every later log line.
            self._task = asyncio.get_running_loop().create_task(self._run(), context=contextvars.Context())
        self._wakeup.set()
        return future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self.pending:
                await self._store(self._next_batch())

    def _next_batch(self) -> list[_Pending]:
        batch = [self.pending.popleft()]
        changes = len(batch[0].record.changes)
        while self.pending and len(batch) < self._max_records:
            changes += len(self.pending[0].record.changes)
            if changes > self._max_changes:
                break
            batch.append(self.pending.popleft())
        return batch

    async def _store(self, batch: list[_Pending]) -> None:
        """Commit a batch, broadcast it and settle its futures; when the database
        refuses it, store each half apart, so that one bad delivery fails alone
        at the cost of a few more transactions."""
        try:
            stored = await self._store_batch([p.record for p in batch])
        except (OperationalError, InterfaceError) as exc:
            # The database is away (restarting, unreachable): trying smaller
            # batches would make each wait for a connection in turn, past
            # LivePerson's 2.5 s. All get 503 now, and LivePerson retries.
            logger.error("storing %d webhook deliveries failed: %r", len(batch), exc)
            _fail(batch, exc)
            return
        except DatabaseError as exc:
            if len(batch) > 1:
                half = len(batch) // 2
                await self._store(batch[:half])
                await self._store(batch[half:])
                return
            logger.error(
                "storing a webhook delivery failed: %r", exc, extra={"request_id": batch[0].record.request_id}
            )
            _fail(batch, exc)
            return
        # The broadcast first: the event loop runs what is woken in order, so the
        # publisher writes to Redis before the requests' answers are written.
        # The answers wait only for that write, not for Redis's reply.
        self._writer.publisher.publish(stored)
        for pending, result in zip(batch, stored, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    async def _store_batch(self, records: list[DeliveryRecord]) -> list[Stored]:
        if self._async_store is not None:
            return await self._async_store.store_batch(records)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer.executor, _store_batch_in_writer_thread, records)

    def close(self) -> None:
        if self._async_store is not None:
            self._async_store.close_now()


class IngestWriter:
    """Stores the deliveries of one event loop: ordinary ones batched on one
    connection, large ones (many changes) one by one on another.

    A large delivery costs a transaction of its own size; on the shared
    connection every delivery queued behind it, any account's, would wait for
    it. Each account may have only a few large deliveries waiting; more get
    503 at once (LivePerson retries them), so one account cannot fill that lane.
    """

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-writer")
        self.publisher = Publisher()
        self._lane = _Lane(
            self,
            max_records=settings.WEBHOOK_BATCH_MAX,
            max_changes=settings.WEBHOOK_BATCH_MAX_CHANGES,
            max_pending=settings.WEBHOOK_MAX_PENDING,
        )
        # SQLite (make run) writes one transaction at a time anyway: one lane.
        self._large_lane = (
            _Lane(self, max_records=1, max_changes=0, max_pending=settings.WEBHOOK_LARGE_MAX_PENDING)
            if connection.vendor == "postgresql"
            else None
        )
        self._large_by_account: Counter[str] = Counter()

    async def store(self, record: DeliveryRecord) -> Stored:
        """Returns once the delivery is committed; raises OverloadedError or DatabaseError."""
        record.fit()
        if self._large_lane is None or len(record.changes) <= settings.WEBHOOK_LARGE_DELIVERY_CHANGES:
            self._lane.check_capacity()
            return await self._lane.add(record)
        return await self._store_large(record)

    async def _store_large(self, record: DeliveryRecord) -> Stored:
        account = record.account_id
        if self._large_by_account[account] >= settings.WEBHOOK_LARGE_PENDING_PER_ACCOUNT:
            raise OverloadedError("this account has too many large deliveries waiting")
        self._large_lane.check_capacity()
        self._large_by_account[account] += 1  # waiting or being stored
        try:
            return await self._large_lane.add(record)
        finally:
            self._large_by_account[account] -= 1
            if not self._large_by_account[account]:
                del self._large_by_account[account]

    def close(self) -> None:
        """Close the writer's connections and stop its thread (tests, shutdown);
        callable once the event loop has stopped."""
        self._lane.close()
        if self._large_lane is not None:
            self._large_lane.close()
        self.executor.submit(_close_connection).result()
        self.executor.shutdown()


def _fail(batch: list[_Pending], exc: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(exc)


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, IngestWriter]" = weakref.WeakKeyDictionary()


def close_writers() -> None:
    for writer in list(_writers.values()):
        writer.close()
    _writers.clear()


def get_writer() -> IngestWriter:
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = IngestWriter()
    return _writers[loop]


# --- The broadcast ----------------------------------------------------------------


class Publisher:
    """Sends committed events to the channel layer, in commit order.

    Batches that wait while a broadcast is under way are merged into the next
    one (one message per conversation however many batches), and the
    conversations of one broadcast go down one Redis pipeline (webhooks.group_send).
    """

    def __init__(self):
        self._queue: deque[list[Stored]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None

    def publish(self, stored: list[Stored]) -> None:
        if not any(s.events for s in stored):
            return
        if len(self._queue) >= PUBLISH_QUEUE_MAX:
            logger.warning("broadcast queue full: subscribers will catch up from the database")
            return
        self._queue.append(stored)
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        layer = get_channel_layer()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                merged = [item for _ in range(len(self._queue)) for item in self._queue.popleft()]
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can
                    # swallow a cancellation, and this loop would never end.
                    async with asyncio.timeout(BROADCAST_TIMEOUT_SECONDS):
                        await _broadcast(layer, merged)
                except Exception as exc:  # noqa: BLE001 - whatever the layer raised, it is survivable
                    # Nothing is lost: the events are committed and numbered, and
                    # subscribers fetch what they missed from the database.
                    logger.warning("broadcast of %d deliveries failed: %r", len(merged), exc)
                    await _keep_for_worker(merged)


async def _keep_for_worker(stored: list[Stored]) -> None:
    try:
        await database_sync_to_async(pending_broadcasts_record)(stored)
    except DatabaseError as exc:
        logger.error("a failed broadcast could not be kept for the worker: %r", exc)


def pending_broadcasts_record(stored: list[Stored]) -> int:
    """Keep what a failed broadcast would have sent, for the worker: per
    conversation the seq range of its events, per account its delivery ids."""
    seqs: dict[int, tuple[int, int]] = {}
    deliveries: dict[str, list[int]] = {}
    for item in stored:
        if not item.events:
            continue
        for event in item.events:
            if event.conversation_id is not None:
                low, high = seqs.get(event.conversation_id, (event.seq, event.seq))
                seqs[event.conversation_id] = (min(low, event.seq), max(high, event.seq))
        deliveries.setdefault(item.delivery.account_id, []).append(item.delivery.pk)
    rows = [
        PendingBroadcast(conversation_pk=pk, from_seq=low, to_seq=high) for pk, (low, high) in seqs.items()
    ]
    rows += [PendingBroadcast(account_id=account, delivery_ids=ids) for account, ids in deliveries.items()]
    PendingBroadcast.objects.bulk_create(rows)
    return len(rows)


async def _broadcast(layer, stored: list[Stored]) -> None:
    by_conversation: dict[int, list[dict]] = {}
    by_account: dict[str, list[dict]] = {}
    for item in stored:
        if not item.events:
            continue
        for event in item.events:
            if event.conversation_id is not None:
                by_conversation.setdefault(event.conversation_id, []).append(event.as_message())
        by_account.setdefault(item.delivery.account_id, []).append(delivery_summary(item))
    # Conversations first: their subscribers are the ones waiting.
    messages = [
        (f"conversation_{pk}", {"type": "conversation.events", "events": events})
        for pk, events in by_conversation.items()
    ]
    messages += [
        (account_group_name(account), {"type": "account.deliveries", "deliveries": deliveries})
        for account, deliveries in by_account.items()
    ]
    await group_send.group_send_many(layer, messages)


def delivery_summary(stored: Stored) -> dict:
    """What the events page shows of a delivery, live."""
    delivery = stored.delivery
    conversations = {}
    for event in stored.events:
        if event.conversation is not None:
            conversations[event.conversation.pk] = event.conversation.conversation_id
    return {
        "id": delivery.pk,
        "received_at": delivery.received_at.isoformat(),
        "status": delivery.status,
        "accepted": delivery.accepted,
        "reason": delivery.reason,
        "reason_label": Delivery.Reason(delivery.reason).label,
        "client_id": delivery.client_id,
        "notification_type": delivery.notification_type,
        "event_count": delivery.event_count,
        "conversations": [{"id": pk, "conversation_id": cid} for pk, cid in conversations.items()],
        "event_types": sorted({event.event_type for event in stored.events}),
    }
