"""The requests console: every LivePerson call made for a conversation is kept
(ChatRequest, secrets masked by liveperson.recording) and announced to the
conversation's sockets."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat.models import ChatConversation, ChatRequest

logger = logging.getLogger(__name__)


def record(conversation: ChatConversation, exchanges: list) -> None:
    """Keep the exchanges for the console and tell the conversation's sockets."""
    if not exchanges:
        return
    ChatRequest.objects.bulk_create([_chat_request(conversation, exchange) for exchange in exchanges])
    group = conversation.group_name
    transaction.on_commit(lambda: _announce(group))


def _chat_request(conversation: ChatConversation, exchange) -> ChatRequest:
    return ChatRequest(
        conversation=conversation,
        service=exchange.service[:64],
        method=exchange.method[:8],
        url=exchange.url[:2000],
        request_headers=exchange.request_headers or {},
        request_body=exchange.request_body,
        status=exchange.status,
        response_body=exchange.response_body,
        duration_ms=exchange.duration_ms or 0,
        error=(exchange.error or "")[:300],
    )


def _announce(group: str) -> None:
    """New console entries: sockets fetch them from the database (a lost message
    only delays them to the next one or the periodic check)."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "chat.requests"})
    except Exception as exc:  # noqa: BLE001 - the layer failing must not fail the chat action
        logger.warning("announcing console entries to %s failed: %r", group, exc)
