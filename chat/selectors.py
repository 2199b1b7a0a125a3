"""What the chat's pages and sockets read: one account's conversations only."""

from django.db.models import QuerySet

from chat.models import ChatConversation, ChatRequest

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
    return [row.as_dict() for row in rows[:CONSOLE_BATCH]]
