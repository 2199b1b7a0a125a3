"""Sending again the broadcasts the channel layer refused (webhooks.publish keeps
them as PendingBroadcast rows), from the worker.

The messages are rebuilt from the database, so they carry what is stored now.
Sending twice is harmless: conversation subscribers drop events they have
(by seq), and the events page drops deliveries it shows (by id).
"""

import asyncio
import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models import F
from django.utils import timezone

from webhooks import group_send
from webhooks.models import Conversation, Delivery, Event, PendingBroadcast, account_group_name
from webhooks.publish import BROADCAST_TIMEOUT_SECONDS, delivery_summary
from webhooks.records import Stored
from worker import claims

logger = logging.getLogger(__name__)

CLAIM_LIMIT = 200
# Subscribers check the database every WEBHOOK_RESYNC_SECONDS (10 s) anyway:
# older broadcasts are not worth sending, and a channel layer down for long
# must not fill the table.
MAX_AGE = timedelta(minutes=2)
RETRY_DELAYS = (1, 2, 4, 8)  # seconds after the 1st, 2nd, 3rd, later failed attempt


def pending_broadcasts_republish(*, limit: int = CLAIM_LIMIT) -> int:
    """Send a claimed set of pending broadcasts; returns how many were sent."""
    stale = PendingBroadcast.objects.filter(
        created_at__lt=timezone.now() - MAX_AGE, leased_until__isnull=True
    )
    stale.delete()
    rows = claims.claim(PendingBroadcast.objects.all(), limit=limit)
    if not rows:
        return 0
    try:
        async_to_sync(_send)(group_messages(rows))
    except Exception as exc:  # noqa: BLE001 - whatever the layer raised: try again later
        logger.warning("re-sending %d broadcasts failed: %r", len(rows), exc)
        for row in rows:
            delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS) - 1)]
            claims.release(row, delay_seconds=delay, attempts=F("attempts") + 1)
        return 0
    sent = claims.delete_many(rows)
    logger.info("re-sent %d broadcasts that had failed", sent)
    return sent


def group_messages(rows: list[PendingBroadcast]) -> list[tuple[str, dict]]:
    """(group, message) pairs for the rows, as the live broadcast sends them."""
    messages = []
    for pk, (low, high) in _seq_ranges(rows).items():
        events = Event.objects.filter(conversation_id=pk, seq__gte=low, seq__lte=high).order_by("seq")
        if events:
            group = Conversation(pk=pk).group_name
            messages.append(
                (group, {"type": "conversation.events", "events": [e.as_message() for e in events]})
            )
    for account_id, ids in _delivery_ids(rows).items():
        summaries = _delivery_summaries(ids)
        if summaries:
            group = account_group_name(account_id)
            messages.append((group, {"type": "account.deliveries", "deliveries": summaries}))
    return messages


def _seq_ranges(rows) -> dict[int, tuple[int, int]]:
    """One range per conversation, covering all of its rows."""
    ranges: dict[int, tuple[int, int]] = {}
    for row in rows:
        if row.conversation_pk is not None:
            low, high = ranges.get(row.conversation_pk, (row.from_seq, row.to_seq))
            ranges[row.conversation_pk] = (min(low, row.from_seq), max(high, row.to_seq))
    return ranges


def _delivery_ids(rows) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    for row in rows:
        if row.conversation_pk is None:
            ids.setdefault(row.account_id, []).extend(row.delivery_ids)
    return ids


def _delivery_summaries(ids: list[int]) -> list[dict]:
    deliveries = list(Delivery.objects.filter(pk__in=ids).order_by("pk"))
    events: dict[int, list[Event]] = {}
    for event in Event.objects.filter(delivery__in=deliveries).select_related("conversation").order_by("pk"):
        events.setdefault(event.delivery_id, []).append(event)
    return [delivery_summary(Stored(delivery=d, events=events.get(d.pk, []))) for d in deliveries]


async def _send(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    async with asyncio.timeout(BROADCAST_TIMEOUT_SECONDS):
        await group_send.group_send_many(layer, messages)
