"""A new app's webhooks may not be active yet: "it can take up to two minutes that your
app was recognized by Webhooks" (docs/LIVEPERSON.md, 'Webhook activation'). Until then no
webhook of the app arrives, so a demo chat that relies on them would miss the agent's
messages; the chat tells the consumer and fills them in from the messaging history.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from chat import history
from chat.models import ChatConversation
from webhooks import conversations as webhook_conversations


def activation_ends(conversation: ChatConversation) -> datetime | None:
    """Until when the app's webhooks may not be active yet, or None when they should be:
    LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS after LivePerson issued the app (its
    client_id_issued_at; when we first saw it, without one)."""
    window = settings.LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS
    installation = conversation.installation
    installed = installation.issued_at or installation.first_seen_at
    if not window or installed is None:
        return None
    ends = installed + timedelta(seconds=window)
    return ends if timezone.now() < ends else None


def activation_pending(conversation: ChatConversation) -> datetime | None:
    """When webhooks may still be inactive for this conversation: the end of the window, or
    None. Only for conversations whose app's webhooks come here (otherwise the history is
    restored anyway), and only until the first webhook of the conversation is stored: the
    first one proves the app recognised, and every later event comes as a webhook too."""
    if history.history_needed(conversation):
        return None
    ends = activation_ends(conversation)
    if ends is None:
        return None
    arrived = webhook_conversations.conversation_has_events(
        account_id=conversation.account_id, conversation_id=conversation.conversation_id
    )
    return None if arrived else ends
