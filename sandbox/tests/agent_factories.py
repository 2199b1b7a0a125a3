"""Conversations driven through sandbox.messaging the way the Send API drives them,
for the scripted agent's and the agent page's tests."""

import json
import secrets

from django.db import transaction

from sandbox import agent, messaging
from sandbox.models import (
    Account,
    Consumer,
    Installation,
    MessagingConversation,
    MessagingEvent,
    Notification,
)

ENDPOINT = "https://app.example.com/notifications/event"
WEBHOOKS = [
    "ms.MessagingEventNotification.ContentEvent",
    "ms.MessagingEventNotification.RichContentEvent",
    "ms.MessagingEventNotification.AcceptStatusEvent",
    "ms.MessagingEventNotification.ChatStateEvent",
    "cqm.ExConversationChangeNotification",
]
SURVEY_SKILL = "90001"  # seeded on account 90000001


def sandbox_installation(account_id: str = "90000001") -> Installation:
    """An enabled app listening to every webhook type."""
    return Installation.objects.create(
        account=Account.objects.get(account_id=account_id),
        client_id=secrets.token_hex(8),
        client_secret=secrets.token_hex(16),
        client_id_issued_at=1700000000,
        data={
            "client_name": "Agent test app",
            "enabled": True,
            "scope": "msg.consumer",
            "capabilities": {"webhooks": {key: {"endpoint": ENDPOINT, "headers": []} for key in WEBHOOKS}},
        },
    )


def open_conversation(
    installation: Installation, *, features=(), skill_id: str = "-1"
) -> MessagingConversation:
    """CONVERSATION as the Send API does it: open, then tell the agent."""
    consumer = Consumer.objects.create(
        account=installation.account,
        ext_consumer_id=secrets.token_hex(6),
        lp_consumer_id=secrets.token_hex(32),
    )
    with transaction.atomic():
        created = messaging.conversation_open(
            consumer=consumer, installation=installation, features=list(features), skill_id=skill_id
        )
        conversation = messaging.conversation_locked(created.conversation_id)
        agent.react(conversation, trigger="opened")
    return conversation


def consumer_sends(conversation: MessagingConversation, event: dict, *, metadata=None) -> MessagingEvent:
    """An ms.PublishEvent of the consumer, to the dialog that is open now."""
    with transaction.atomic():
        locked = messaging.conversation_locked(conversation.conversation_id)
        record = messaging.publish(
            locked,
            messaging.open_dialog(locked),
            role="CONSUMER",
            originator_id=locked.consumer.lp_consumer_id,
            event=event,
            metadata=metadata,
        )
        agent.react(locked, trigger="consumer_event", record=record)
    return record


def consumer_says(conversation: MessagingConversation, text: str, *, metadata=None) -> MessagingEvent:
    return consumer_sends(conversation, agent.text_event(text), metadata=metadata)


def consumer_closes_main_dialog(conversation: MessagingConversation) -> None:
    """DialogChange CLOSE of the MAIN dialog: the survey opens on a survey skill."""
    with transaction.atomic():
        locked = messaging.conversation_locked(conversation.conversation_id)
        survey = messaging.close_main_dialog(locked, cause="Closed by consumer")
        agent.react(locked, trigger="survey_opened" if survey else "closed")


def drain(limit: int = 100) -> int:
    """Run the worker job until it has nothing left to do; the tasks it finished."""
    total = 0
    for _ in range(limit):
        done = agent.run_due()
        if not done:
            return total
        total += done
    raise AssertionError("the agent never went idle")


def events_after(conversation: MessagingConversation, record: MessagingEvent | None = None) -> list:
    events = MessagingEvent.objects.filter(conversation=conversation).select_related("dialog")
    if record is not None:
        events = events.filter(pk__gt=record.pk)
    return list(events.order_by("pk"))


def notifications(conversation: MessagingConversation) -> list[dict]:
    """The queued webhook bodies, parsed, in order."""
    queued = Notification.objects.filter(conversation_id=conversation.conversation_id).order_by("pk")
    return [json.loads(n.body) for n in queued]


def messaging_changes(conversation: MessagingConversation) -> list[dict]:
    return [
        body["body"]["changes"][0]
        for body in notifications(conversation)
        if body["type"] == messaging.MESSAGING_NOTIFICATION
    ]


def conversation_changes(conversation: MessagingConversation) -> list[dict]:
    return [
        body["body"]["changes"][0]["result"]
        for body in notifications(conversation)
        if body["type"] == messaging.CONVERSATION_NOTIFICATION
    ]
