"""Failed broadcasts are kept, and the worker sends them again (webhooks.broadcasts)."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from webhooks import broadcasts, payloads, publish, records, store
from webhooks.models import Conversation, Delivery, PendingBroadcast, account_group_name
from webhooks.tests.test_ingest import _record

pytestmark = pytest.mark.django_db(transaction=True)


def _stored(*sequences: int) -> list[records.Stored]:
    return store.store_batch([_record(payloads.content(n)) for n in sequences])


class RefusingLayer:
    """A channel layer whose Redis is down."""

    async def group_send(self, group, message):
        raise ConnectionError("Redis is down")


async def _publish_and_settle(stored) -> None:
    publisher = publish.Publisher()
    publisher.publish(stored)
    await asyncio.wait_for(publisher.drained(), timeout=5)  # broadcast, or kept for the worker
    publisher._task.cancel()


async def test_a_broadcast_the_layer_refuses_is_kept_for_the_worker(monkeypatch):
    monkeypatch.setattr(publish, "get_channel_layer", RefusingLayer)
    stored = await sync_to_async(_stored)(1, 2, 3)

    await _publish_and_settle(stored)

    rows = await sync_to_async(list)(PendingBroadcast.objects.order_by("pk"))
    conversation = await Conversation.objects.aget()
    assert [(r.conversation_pk, r.from_seq, r.to_seq) for r in rows[:1]] == [(conversation.pk, 1, 3)]
    assert [(r.account_id, r.delivery_ids) for r in rows[1:]] == [
        (payloads.ACCOUNT, [s.delivery.pk for s in stored])
    ]


async def test_a_successful_broadcast_writes_nothing_more():
    stored = await sync_to_async(_stored)(1)

    await _publish_and_settle(stored)

    assert not await PendingBroadcast.objects.aexists()


async def test_the_worker_sends_the_events_and_deliveries_again_then_forgets_them():
    stored = await sync_to_async(_stored)(1, 2)
    await sync_to_async(publish.pending_broadcasts_record)(stored)
    conversation = await Conversation.objects.aget()
    layer = get_channel_layer()
    channel = await layer.new_channel("test.")
    await layer.group_add(conversation.group_name, channel)
    await layer.group_add(account_group_name(payloads.ACCOUNT), channel)

    sent = await sync_to_async(broadcasts.pending_broadcasts_republish)()

    messages = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
    by_type = {message["type"]: message for message in messages}
    assert sent == 2
    assert [e["seq"] for e in by_type["conversation.events"]["events"]] == [1, 2]
    assert [d["id"] for d in by_type["account.deliveries"]["deliveries"]] == [s.delivery.pk for s in stored]
    assert not await PendingBroadcast.objects.aexists()
    await layer.group_discard(conversation.group_name, channel)
    await layer.group_discard(account_group_name(payloads.ACCOUNT), channel)


def test_rows_of_one_conversation_go_as_one_message():
    stored = _stored(1) + _stored(2) + _stored(3)
    publish.pending_broadcasts_record(stored[:1])
    publish.pending_broadcasts_record(stored[1:])

    messages = broadcasts.group_messages(list(PendingBroadcast.objects.exclude(conversation_pk=None)))

    assert [[e["seq"] for e in message["events"]] for _, message in messages] == [[1, 2, 3]]


def test_when_sending_fails_again_it_is_retried_later(monkeypatch):
    publish.pending_broadcasts_record(_stored(1))

    async def refuse(messages):
        raise ConnectionError("still down")

    monkeypatch.setattr(broadcasts, "_send", refuse)

    assert broadcasts.pending_broadcasts_republish() == 0

    rows = list(PendingBroadcast.objects.all())
    assert [row.attempts for row in rows] == [1, 1]
    assert all(row.leased_until > timezone.now() for row in rows)  # backing off
    assert broadcasts.pending_broadcasts_republish() == 0  # nothing claimable yet


def test_old_rows_are_dropped_unsent(monkeypatch):
    publish.pending_broadcasts_record(_stored(1))
    PendingBroadcast.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    sent = []
    monkeypatch.setattr(broadcasts, "_send", lambda messages: sent.append(messages))

    assert broadcasts.pending_broadcasts_republish() == 0
    assert not PendingBroadcast.objects.exists()
    assert sent == []


def test_rows_purged_meanwhile_are_not_sent():
    publish.pending_broadcasts_record(_stored(1))
    Conversation.objects.all().delete()
    Delivery.objects.all().delete()

    messages = broadcasts.group_messages(list(PendingBroadcast.objects.all()))

    assert messages == []
