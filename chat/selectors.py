"""What the chat's pages and sockets read: one account's conversations only."""

from django.db.models import QuerySet
from django.urls import reverse

from chat import console
from chat.models import ChatConversation, ChatRequest
from webhooks import related
from webhooks.models import Conversation as WebhookConversation

CONSOLE_BATCH = 200


def conversations_for(*, user) -> QuerySet[ChatConversation]:
    """The user's account's conversations, newest first (nothing for a local operator)."""
    if not getattr(user, "lp_account_id", ""):
        return ChatConversation.objects.none()
    return (
        ChatConversation.objects.for_account(user.lp_account_id)
        .select_related("installation", "user")
        .order_by("-created_at", "-pk")
    )


def conversation_for(*, pk: int, user) -> ChatConversation | None:
    """The conversation, or None when it is not of the user's account."""
    return conversations_for(user=user).filter(pk=pk).first()


def conversation_message(conversation: ChatConversation) -> dict:
    """The "conversation" frame's content (ws/chat/<pk>/)."""
    return {
        "id": conversation.pk,
        "conversation_id": conversation.conversation_id,
        "dialog_id": conversation.dialog_id,
        "main_dialog_id": conversation.main_dialog_id,
        "state": conversation.state,
        "stage": conversation.stage,
        "closed": conversation.closed,
        "in_survey": conversation.in_survey,
        "consumer_name": conversation.consumer_name,
        "features": conversation.features,
        "app_name": conversation.installation.name,
    }


def requests_after(*, conversation: ChatConversation, after_id: int) -> list[dict]:
    """Console entries newer than `after_id`, oldest first."""
    rows = ChatRequest.objects.filter(conversation=conversation, pk__gt=after_id).order_by("pk")
    return [console.entry(row) for row in rows[:CONSOLE_BATCH]]


def related_chats(account_id: str, conversation_ids: list[str]) -> dict:
    """The demo chats of these LivePerson conversations (webhooks.related): consumer and page."""
    chats = ChatConversation.objects.for_account(account_id).filter(conversation_id__in=conversation_ids)
    return {
        conversation_id: related.Related(consumer_name=name, chat_url=reverse("chat:detail", args=[pk]))
        for conversation_id, name, pk in chats.values_list("conversation_id", "consumer_name", "pk")
    }


def webhook_conversation_pk(chat: ChatConversation) -> int | None:
    """The events page's conversation of a demo chat, once a webhook (or the chat) made it."""
    found = WebhookConversation.objects.filter(
        account_id=chat.account_id, conversation_id=chat.conversation_id
    )
    return found.values_list("pk", flat=True).first()


def start_settings(chat: ChatConversation) -> dict:
    """The start form's initial values for a new chat with the settings of `chat`."""
    return {
        "client_id": chat.installation.client_id,
        "consumer_name": chat.consumer_name,
        "features": list(chat.features),
        "campaign_id": chat.campaign_id,
        "engagement_id": chat.engagement_id,
        "skill_id": chat.skill_id,
        "survey_skill_id": chat.survey_skill_id,
        "ttr": chat.ttr,
    }
