"""What other apps may do with the webhooks app's conversations: make sure one
exists before its first webhook, and read its newest events of a kind."""

from django.db import IntegrityError, transaction

from webhooks.models import Conversation, Event


def conversation_ensure(*, account_id: str, conversation_id: str, client_id: str) -> Conversation:
    """The conversation's row, created if no webhook came yet, so that sockets
    can join its group before the first event."""
    lookup = {"account_id": account_id, "conversation_id": conversation_id}
    found = Conversation.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Conversation.objects.create(**lookup, client_id=client_id)
    except IntegrityError:  # the first webhook was stored meanwhile
        return Conversation.objects.get(**lookup)


def conversation_newest_events(
    *, account_id: str, conversation_id: str, notification_type: str, limit: int, event_type: str = ""
) -> list[dict]:
    """The conversation's newest `limit` events of one notification type (and event
    type, e.g. ContentEvent, when given), newest first, as its sockets receive them
    (Event.as_message())."""
    events = Event.objects.filter(
        conversation__account_id=account_id,
        conversation__conversation_id=conversation_id,
        notification_type=notification_type,
    )
    if event_type:
        events = events.filter(event_type=event_type)
    events = events.order_by("-seq")[:limit]
    return [event.as_message() for event in events]


def conversation_has_events(*, account_id: str, conversation_id: str) -> bool:
    """Whether any webhook of the conversation was stored: its app's webhooks work."""
    return Event.objects.filter(
        conversation__account_id=account_id, conversation__conversation_id=conversation_id
    ).exists()
