"""Sending committed events to the channel layer, in commit order: each
conversation's new events to its group, each account's accepted deliveries to
its group. A failed broadcast loses nothing: events are numbered per
conversation and subscribers catch up from the database; and it is kept
(PendingBroadcast) for the worker to send again (webhooks.broadcasts)."""

import asyncio
import logging
from collections import deque

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError

from webhooks import group_send
from webhooks.models import Conversation, Delivery, PendingBroadcast, account_group_name
from webhooks.records import Stored

logger = logging.getLogger(__name__)

BROADCAST_TIMEOUT_SECONDS = 2.0
PUBLISH_QUEUE_MAX = 10_000


class Publisher:
    """Sends committed events to the channel layer, in commit order.

    Batches that wait while a broadcast is under way are merged into the next
    one (one message per conversation however many batches), and the
    conversations of one broadcast go down one Redis pipeline (webhooks.group_send).
    """

    def __init__(self):
        self._queue: deque[list[Stored]] = deque()
        self._wakeup = asyncio.Event()
        # Set when everything published so far is broadcast or kept for the worker:
        # the tests wait on it (drained) instead of sleeping until it probably is.
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None

    def publish(self, stored: list[Stored]) -> None:
        if not any(s.events for s in stored):
            return
        if len(self._queue) >= PUBLISH_QUEUE_MAX:
            logger.warning("broadcast queue full: subscribers will catch up from the database")
            return
        self._queue.append(stored)
        self._idle.clear()
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
            self._idle.set()

    async def drained(self) -> None:
        """Until everything published so far is broadcast, or kept for the worker."""
        await self._idle.wait()


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
        (Conversation.group_name_of(pk), {"type": "conversation.events", "events": events})
        for pk, events in by_conversation.items()
    ]
    messages += [
        (account_group_name(account), {"type": "account.deliveries", "deliveries": deliveries})
        for account, deliveries in by_account.items()
    ]
    # Subscribers in this process get their conversations' events without Redis's round trip.
    await group_send.group_send_many(layer, messages, local_types=("conversation.events",))


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
