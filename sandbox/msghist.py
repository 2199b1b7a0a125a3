"""The sandbox's Messaging Interactions (history) API (docs/LIVEPERSON.md, 'Messaging history'):
a conversation's record built from what sandbox.messaging stored.

An id that matches nothing gives an empty `conversationHistoryRecords` (200,
count 0) rather than 204: both are documented, the sandbox always answers
with a body.
"""

import json
from datetime import UTC, datetime

from sandbox.models import Account, MessagingConversation, MessagingEvent

MAX_CONVERSATION_IDS = 100
CONTENT_PARTS = {"messageRecords", "messageStatuses", "consumerParticipants", "agentParticipants", "dialogs"}
MESSAGE_STATUSES = {"ACCEPT", "READ"}


class SearchInvalidError(Exception):
    """A malformed search body: HTTP 400 with this message."""


def conversation_search(*, account: Account, body, offset: int = 0, limit: int = 100) -> dict:
    """The records of the account's conversations named in the search body."""
    ids, parts = _search_terms(body)
    conversations = (
        MessagingConversation.objects.filter(account=account, conversation_id__in=ids)
        .select_related("account", "consumer")
        .prefetch_related("dialogs", "events__dialog")
        .order_by("-start_ts")
    )
    page = list(conversations[offset : offset + limit])
    return {
        "_metadata": {"count": conversations.count()},
        "conversationHistoryRecords": [_record(conversation, parts) for conversation in page],
    }


def _search_terms(body) -> tuple[list[str], set[str]]:
    if not isinstance(body, dict):
        raise SearchInvalidError("The body must be a JSON object")
    ids = body.get("conversationIds")
    if ids is None and isinstance(body.get("conversationId"), str):
        ids = [body["conversationId"]]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise SearchInvalidError("conversationId or conversationIds is required")
    if len(ids) > MAX_CONVERSATION_IDS:
        raise SearchInvalidError(f"conversationIds is limited to {MAX_CONVERSATION_IDS}")
    wanted = body.get("contentToRetrieve")
    if wanted is not None and not isinstance(wanted, list):
        raise SearchInvalidError("contentToRetrieve must be a list")
    return ids, CONTENT_PARTS if wanted is None else CONTENT_PARTS & set(wanted)


def _record(conversation: MessagingConversation, parts: set[str]) -> dict:
    events = list(conversation.events.all())
    record = {"info": _info(conversation)}
    builders = {
        "messageRecords": lambda: [_message(e) for e in events if _message_type(e)],
        "messageStatuses": lambda: [s for e in events for s in _statuses(e)],
        "consumerParticipants": lambda: [_consumer(conversation)],
        "agentParticipants": lambda: _agents(conversation),
        "dialogs": lambda: [_dialog(d) for d in conversation.dialogs.all()],
    }
    for part in sorted(parts):
        record[part] = builders[part]()
    return record


def _info(conversation: MessagingConversation) -> dict:
    # `status` follows the whole conversation (stage): with the survey still
    # open the conversation is not over, and a restored chat must show the survey.
    ended = conversation.end_ts if conversation.stage == "CLOSE" else -1
    info = {
        "startTime": _iso(conversation.start_ts),
        "startTimeL": conversation.start_ts,
        "endTime": _iso(ended) if ended != -1 else "",
        "endTimeL": ended,
        "duration": (ended if ended != -1 else conversation.meta_updated_ts) - conversation.start_ts,
        "conversationId": conversation.conversation_id,
        "brandId": conversation.account.account_id,
        "latestSkillId": int(conversation.skill_id) if conversation.skill_id.lstrip("-").isdigit() else -1,
        "latestAgentId": conversation.assigned_agent_id or "",
        "source": "APP",
        "closeReason": conversation.close_reason if ended != -1 else "",
        "status": "CLOSE" if conversation.stage == "CLOSE" else "OPEN",
        "isPartial": False,
    }
    return info


def _message_type(record: MessagingEvent) -> str:
    event = record.event
    if event.get("type") == "RichContentEvent":
        return "RICH_CONTENT"
    if event.get("type") != "ContentEvent":
        return ""
    return {"text/plain": "TEXT_PLAIN", "hosted/file": "HOSTED_FILE"}.get(event.get("contentType"), "")


def _message(record: MessagingEvent) -> dict:
    kind = _message_type(record)
    event = record.event
    if kind == "TEXT_PLAIN":
        data = {"msg": {"text": event.get("message", "")}}
    elif kind == "HOSTED_FILE":
        data = {"file": dict(event.get("message") or {})}
    else:  # the docs give rich content as a JSON string
        data = {"richContent": {"content": json.dumps(event.get("content"))}}
    message = {
        "type": kind,
        "messageData": data,
        "messageId": _message_id(record),
        "audience": record.audience,
        "seq": record.sequence,
        "dialogId": record.dialog.dialog_id,
        "participantId": record.originator_id,
        "source": "APP",
        "time": _iso(record.server_timestamp),
        "timeL": record.server_timestamp,
        "device": "NA",
        "sentBy": _sent_by(record),
    }
    if record.metadata:
        message["contextData"] = {"rawMetadata": json.dumps(record.metadata)}
    return message


def _statuses(record: MessagingEvent) -> list[dict]:
    event = record.event
    if event.get("type") != "AcceptStatusEvent" or event.get("status") not in MESSAGE_STATUSES:
        return []
    return [
        {
            "messageId": _message_id_of(record.dialog.dialog_id, sequence),
            "seq": sequence,
            "dialogId": record.dialog.dialog_id,
            "time": _iso(record.server_timestamp),
            "timeL": record.server_timestamp,
            "participantId": record.originator_id,
            "participantType": _sent_by(record),
            "messageDeliveryStatus": event["status"],
        }
        for sequence in event.get("sequenceList") or []
    ]


def _consumer(conversation: MessagingConversation) -> dict:
    profile = conversation.consumer_profile or {}
    first, last = profile.get("firstName", ""), profile.get("lastName", "")
    return {
        "participantId": conversation.consumer.lp_consumer_id,
        "time": _iso(conversation.start_ts),
        "timeL": conversation.start_ts,
        "firstName": first,
        "lastName": last,
        "consumerName": f"{first} {last}".strip(),
        "avatarURL": profile.get("avatarUrl", ""),
        "dialogId": conversation.conversation_id,
    }


def _agents(conversation: MessagingConversation) -> list[dict]:
    if not conversation.assigned_agent_id:
        return []
    return [
        {
            "agentId": conversation.assigned_agent_id,
            "agentLoginName": "agent",
            "agentNickname": "Sandbox Agent",
            "role": "ASSIGNED_AGENT",
            "permission": "ASSIGNED_AGENT",
            "dialogId": conversation.conversation_id,
        }
    ]


def _dialog(dialog) -> dict:
    return {
        "dialogId": dialog.dialog_id,
        "dialogType": dialog.dialog_type,
        "status": dialog.state,
        "startTimeL": dialog.creation_ts,
        "endTimeL": dialog.end_ts,
        "closeReason": dialog.closed_by,
        "closeReasonDescription": dialog.closed_cause,
    }


def _sent_by(record: MessagingEvent) -> str:
    return "Consumer" if record.role == "CONSUMER" else "Agent"


def _message_id(record: MessagingEvent) -> str:
    return _message_id_of(record.dialog.dialog_id, record.sequence)


def _message_id_of(dialog_id: str, sequence: int | None) -> str:
    """The docs' form, ms::conv:<conversationId>::msg:<seq>, for the MAIN dialog (whose id
    is the conversation's); sequences restart in the survey dialog, so its messages name
    that dialog instead, to stay unique (docs/LIVEPERSON.md, 'Sequences')."""
    return f"ms::conv:{dialog_id}::msg:{sequence}"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "+0000"
