"""Rows for the events and conversations pages, made directly with the ORM."""

from datetime import timedelta

from django.utils import timezone

from webhooks.models import Conversation, Delivery, Event

ACCOUNT = "90000001"
OTHER_ACCOUNT = "90000002"
CLIENT_ID = "c1d2e3f4-0000-4000-8000-000000000001"


def delivery(*, account_id=ACCOUNT, client_id=CLIENT_ID, minutes_ago=0, **fields) -> Delivery:
    accepted = fields.pop("accepted", fields.get("reason", "accepted") in ("accepted", "duplicate"))
    defaults = {
        "status": 200 if accepted else 401,
        "reason": "accepted" if accepted else "bad_signature",
        "notification_type": "ms.MessagingEventNotification",
        "body": '{"kind": "notification"}',
        "headers": {"x-liveperson-client-id": client_id},
        "received_at": timezone.now() - timedelta(minutes=minutes_ago),
    }
    return Delivery.objects.create(
        account_id=account_id, client_id=client_id, accepted=accepted, **{**defaults, **fields}
    )


def conversation(
    conversation_id="conv-1", *, account_id=ACCOUNT, client_id=CLIENT_ID, **fields
) -> Conversation:
    return Conversation.objects.create(
        account_id=account_id, conversation_id=conversation_id, client_id=client_id, **fields
    )


def content_payload(text="Hello", sequence=1, conversation_id="conv-1") -> dict:
    return {
        "sequence": sequence,
        "event": {"type": "ContentEvent", "contentType": "text/plain", "message": text},
        "conversationId": conversation_id,
        "dialogId": conversation_id,
    }


def event(
    conv: Conversation | None,
    from_delivery: Delivery | None = None,
    *,
    event_type="ContentEvent",
    payload=None,
) -> Event:
    """The next event of `conv`, as the receiver numbers them; counts it on the delivery."""
    seq = None
    if conv is not None:
        conv.last_seq += 1
        conv.last_event_at = timezone.now()
        conv.save(update_fields=["last_seq", "last_event_at"])
        seq = conv.last_seq
    if from_delivery is not None:
        from_delivery.event_count += 1
        from_delivery.save(update_fields=["event_count"])
    account_id = conv.account_id if conv else from_delivery.account_id
    return Event.objects.create(
        conversation=conv,
        seq=seq,
        delivery=from_delivery,
        account_id=account_id,
        client_id=CLIENT_ID,
        notification_type="cqm.ExConversationChangeNotification"
        if event_type in ("UPSERT", "DELETE")
        else "ms.MessagingEventNotification",
        event_type=event_type,
        payload=payload
        if payload is not None
        else content_payload(conversation_id=conv and conv.conversation_id),
    )
