"""Durable, batched writes of webhook deliveries, then their broadcast.

Every request waits only for the commit of the batch holding its delivery:
requests that arrive while a batch commits form the next batch, so one
transaction (one statement on PostgreSQL) carries many webhooks. Each event
loop has one writer: on PostgreSQL batches are stored from the loop itself
over an async connection, elsewhere in a thread. After the commit the
publisher (webhooks.publish) sends the new events, in commit order.
"""

import asyncio
import contextvars
import logging
import time
import weakref
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from webhooks import budgets, store_postgresql
from webhooks.publish import Publisher
from webhooks.records import DeliveryRecord, Stored
from webhooks.store import store_batch

logger = logging.getLogger(__name__)


class OverloadedError(Exception):
    """More is waiting to be written than can be acknowledged in time."""


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
    it. Each account may have only a few large deliveries waiting, and may store
    only WEBHOOK_LARGE_CHANGES_PER_SECOND changes a second in them (after a burst
    of one delivery at the changes limit); more get 503 at once (LivePerson
    retries them later), so one account cannot fill that lane, nor, through the
    WAL every commit waits for, slow down the others' acknowledgements
    (bin/bench-faults, "adversary").
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
        if not budgets.large_changes().take(account, len(record.changes)):
            raise budgets.OverBudgetError("this account's large deliveries carry too many changes a second")
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
