"""Reads for the WebSocket consumers (sync; call them with database_sync_to_async)."""

from webhooks.ingest import Stored, delivery_summary
from webhooks.models import Conversation, Delivery, Event

CATCH_UP_BATCH = 500
SYNC_DELIVERIES_MAX = 50


def conversation_for(*, pk: int, account_id: str) -> Conversation | None:
    """The conversation, only when it belongs to the user's account."""
    if not account_id:
        return None
    return Conversation.objects.filter(pk=pk, account_id=account_id).first()


def events_after(*, conversation: Conversation, seq: int) -> list[dict]:
    events = Event.objects.filter(conversation=conversation, seq__gt=seq).order_by("seq")[:CATCH_UP_BATCH]
    return [event.as_message() for event in events]


def last_seq(*, conversation: Conversation) -> int:
    return Conversation.objects.filter(pk=conversation.pk).values_list("last_seq", flat=True).first() or 0


def deliveries_after(*, account_id: str, after_id: int) -> list[dict]:
    """The account's deliveries newer than `after_id` (rejected ones included), oldest first."""
    deliveries = list(
        Delivery.objects.for_account(account_id).filter(pk__gt=after_id).order_by("-pk")[:SYNC_DELIVERIES_MAX]
    )
    events = Event.objects.filter(delivery__in=deliveries).select_related("conversation")
    by_delivery: dict[int, list[Event]] = {}
    for event in events:
        by_delivery.setdefault(event.delivery_id, []).append(event)
    return [
        delivery_summary(Stored(delivery=d, events=by_delivery.get(d.pk, []))) for d in reversed(deliveries)
    ]
