"""Following the conversation's state, stage and current dialog from its
ExConversation change events."""

from chat.models import ChatConversation
from webhooks import conversations as webhook_conversations

CONVERSATION_CHANGE = "cqm.ExConversationChangeNotification"


def conversation_apply_changes(*, conversation: ChatConversation, events: list[dict]) -> bool:
    """Bring state, stage and the current dialog in step with the newest
    ExConversation change among `events` (Event.as_message() dicts).

    Changes are not delivered in order (docs/WEBHOOKS.md): one older than what was applied
    is ignored. Two distinct changes may share a metaDataLastUpdateTs (docs/LIVEPERSON.md,
    'Conversation changes'): between them the one received last wins, so a change as new
    as the applied one is applied too (applying the same state again changes nothing).
    Returns True when the conversation changed.
    """
    changes = [(event, result) for event in events if (result := _change_result(event))]
    if not changes:
        return False
    _, newest = max(changes, key=lambda pair: (_updated_ts(pair[1]), pair[0].get("seq") or 0))
    if _updated_ts(newest) < conversation.updated_ts:
        return False
    details = newest.get("conversationDetails") if isinstance(newest.get("conversationDetails"), dict) else {}
    changed = {"updated_ts": _updated_ts(newest)}
    for name in ("state", "stage"):
        if details.get(name) in ("OPEN", "CLOSE"):
            changed[name] = details[name]
    survey = _open_survey_dialog(details)
    if survey:
        changed["dialog_id"] = survey
    if all(getattr(conversation, name) == value for name, value in changed.items()):
        return False
    # Another socket may apply a newer change at the same time: never move back.
    newer = ChatConversation.objects.filter(pk=conversation.pk, updated_ts__lte=changed["updated_ts"])
    updated = newer.update(**changed)
    conversation.refresh_from_db()
    return bool(updated)


def conversation_sync_state(*, conversation: ChatConversation) -> bool:
    """Apply the newest stored ExConversation change (a socket that connects after it)."""
    recent = webhook_conversations.conversation_newest_events(
        account_id=conversation.account_id,
        conversation_id=conversation.conversation_id,
        notification_type=CONVERSATION_CHANGE,
        limit=20,
    )
    return conversation_apply_changes(conversation=conversation, events=recent)


def _change_result(event: dict) -> dict | None:
    if event.get("notification_type") != CONVERSATION_CHANGE:
        return None
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    result = payload.get("result")
    return result if isinstance(result, dict) and payload.get("type", "UPSERT") == "UPSERT" else None


def _updated_ts(result: dict) -> int:
    details = result.get("conversationDetails") if isinstance(result.get("conversationDetails"), dict) else {}
    value = details.get("metaDataLastUpdateTs") or result.get("metaDataLastUpdateTs") or 0
    return value if isinstance(value, int) else 0


def _open_survey_dialog(details: dict) -> str:
    """The POST_SURVEY dialog's id once it appears (open or already closed)."""
    dialogs = details.get("dialogs") if isinstance(details.get("dialogs"), list) else []
    surveys = [d for d in dialogs if isinstance(d, dict) and d.get("dialogType") == "POST_SURVEY"]
    return str(surveys[-1].get("dialogId") or "") if surveys else ""
