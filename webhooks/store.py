"""Storing a batch of webhook deliveries in one transaction: on PostgreSQL one
call of the SQL function (webhooks.store_postgresql), elsewhere the ORM."""

from django.db import connection, transaction
from django.utils import timezone

from webhooks import store_postgresql
from webhooks.models import Conversation, Delivery, Event
from webhooks.notifications import Change
from webhooks.records import DeliveryRecord, Stored, delivery_from, event_from


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
