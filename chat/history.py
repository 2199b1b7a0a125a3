"""Restoring a conversation from LivePerson's messaging history, when our stored
events miss some of it."""

import json

from chat import console, tokens
from chat.exceptions import liveperson_call
from chat.installations import webhooks_here
from chat.models import ChatConversation
from liveperson import msghist, recording

HISTORY_KINDS = {"TEXT_PLAIN": "text", "HOSTED_FILE": "file", "RICH_CONTENT": "rich"}
# The one audience the consumer may see; AGENTS_AND_MANAGERS marks an agent's private
# note (docs/LIVEPERSON.md, 'Private messages').
AUDIENCE_ALL = "ALL"


def history_needed(conversation: ChatConversation) -> bool:
    """Whether our stored events miss some of the conversation: its app's
    notifications do not all come to a /notifications/event endpoint."""
    return not webhooks_here(conversation.installation.endpoints, "")


def conversation_history(*, conversation: ChatConversation, bearer: str) -> list[dict]:
    """The conversation's messages from the messaging history API, oldest first,
    as {"seq", "dialog_id", "time", "sent_by", "kind", "text", "file", "content"}; never
    a message meant for agents and managers only."""
    with recording.recording() as exchanges:
        try:
            record = liveperson_call(
                lambda: msghist.search_conversation(
                    base_uri=tokens.base_uri(conversation.account_id, msghist.SERVICE),
                    account_id=conversation.account_id,
                    bearer=bearer,
                    conversation_id=conversation.conversation_id,
                )
            )
        finally:
            console.record(conversation, exchanges)
    messages = (record or {}).get("messageRecords") or []
    records = [history_record(m) for m in messages if isinstance(m, dict) and consumer_may_see(m)]
    return sorted(records, key=lambda r: (r["time"] or 0, r["seq"] if isinstance(r["seq"], int) else -1))


def consumer_may_see(message: dict) -> bool:
    """Whether a messageRecord is for the consumer's eyes: its `audience` (which the
    history pages do not document; the webhooks call it messageAudience) is absent or
    ALL. Any other value is kept from the consumer, the safe side."""
    audience = message.get("audience", message.get("messageAudience"))
    return audience in (None, "", AUDIENCE_ALL)


def history_record(message: dict) -> dict:
    """One messageRecord, normalised for the chat page (unknown types as "other")."""
    data = message.get("messageData") if isinstance(message.get("messageData"), dict) else {}
    kind = HISTORY_KINDS.get(message.get("type"), "other")
    record = {
        "seq": _int_or_none(message.get("seq")),
        "dialog_id": message.get("dialogId") or "",
        "time": message.get("timeL"),
        "sent_by": "consumer" if str(message.get("sentBy", "")).lower() == "consumer" else "agent",
        "kind": kind,
        "text": None,
        "file": None,
        "content": None,
    }
    if kind == "text":
        record["text"] = (data.get("msg") or {}).get("text")
    elif kind == "file":
        record["file"] = data.get("file")
    elif kind == "rich":
        record["content"] = _json_or_none((data.get("richContent") or {}).get("content"))
    return record


def _int_or_none(value) -> int | None:
    """History `seq` is documented as a string, shown as a number
    (docs/LIVEPERSON.md, 'Messaging history')."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _json_or_none(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None
