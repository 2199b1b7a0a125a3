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
import logging
import time
import weakref
from collections import deque
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
from webhooks.notifications import Change

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
    signature_algorithm: str = ""
    signature_valid: bool | None = None
    headers: dict = field(default_factory=dict)
    body: str = ""
    body_truncated: bool = False
    notification_type: str = ""
    changes: list[Change] = field(default_factory=list)
    received_at: datetime = field(default_factory=timezone.now)


@dataclass
class Stored:
    delivery: Delivery
    events: list[Event]


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


class IngestWriter:
    """Batches the deliveries of one event loop into transactions."""

    def __init__(self):
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-writer")
        # PostgreSQL: batches are stored from the event loop itself; others
        # (SQLite locally) through the ORM in the writer thread.
        self._async_store = store_postgresql.AsyncStore() if connection.vendor == "postgresql" else None
        self._task: asyncio.Task | None = None
        self.publisher = Publisher()

    async def store(self, record: DeliveryRecord) -> Stored:
        """Returns once the delivery is committed; raises OverloadedError or DatabaseError."""
        self._check_capacity()
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(record, future, time.monotonic()))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wakeup.set()
        return await future

    def _check_capacity(self) -> None:
        if len(self._pending) >= settings.WEBHOOK_MAX_PENDING:
            raise OverloadedError("too many webhooks waiting")
        if self._pending and time.monotonic() - self._pending[0].enqueued > settings.WEBHOOK_MAX_WAIT_SECONDS:
            raise OverloadedError("the database is not keeping up")

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                count = min(len(self._pending), settings.WEBHOOK_BATCH_MAX)
                batch = [self._pending.popleft() for _ in range(count)]
                await self._store(batch)

    async def _store(self, batch: list[_Pending]) -> list[Stored]:
        """Commit a batch, broadcast it and settle its futures; on failure, retry
        each alone so that one delivery the database refuses fails by itself."""
        try:
            stored = await self._store_batch([p.record for p in batch])
        except (OperationalError, InterfaceError) as exc:
            # The database is away (restarting, unreachable): trying each delivery
            # alone would make each wait for a connection in turn, past
            # LivePerson's 2.5 s. All get 503 now, and LivePerson retries.
            logger.error("storing %d webhook deliveries failed: %r", len(batch), exc)
            _fail(batch, exc)
            return []
        except DatabaseError as exc:
            if len(batch) > 1:
                return [s for p in batch for s in await self._store([p])]
            logger.error("storing a webhook delivery failed: %r", exc)
            _fail(batch, exc)
            return []
        # The broadcast first: the event loop runs what is woken in order, so the
        # publisher writes to Redis before the requests' answers are written.
        # The answers wait only for that write, not for Redis's reply.
        self.publisher.publish(stored)
        for pending, result in zip(batch, stored, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)
        return stored

    async def _store_batch(self, records: list[DeliveryRecord]) -> list[Stored]:
        if self._async_store is not None:
            return await self._async_store.store_batch(records)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _store_batch_in_writer_thread, records)

    def close(self) -> None:
        """Close the writer's connections and stop its thread (tests, shutdown);
        callable once the event loop has stopped."""
        if self._async_store is not None:
            self._async_store.close_now()
        self._executor.submit(_close_connection).result()
        self._executor.shutdown()


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
