"""The sandbox's Send API (`asyncMessagingEnt`): CONVERSATION and SEND
(docs/LIVEPERSON.md, 'Send API: CONVERSATION' and 'Send API: SEND'), on top of sandbox.messaging.

Requests are validated completely before anything changes; every change runs
in one transaction with the conversation row locked, then tells the scripted
agent what happened (sandbox.agent.react), which only schedules work.
"""

import json
from dataclasses import dataclass

from django.db import transaction

from sandbox import agent, messaging, swift
from sandbox.connector_auth import Caller, invalid_consumer_jws
from sandbox.models import Dialog, MessagingConversation

PROFILE_REQUEST = "userprofile.SetUserProfile"
CONVERSATION_REQUEST = "cm.ConsumerRequestConversation"
CHAT_STATES = {"ACTIVE", "INACTIVE", "GONE", "COMPOSING", "PAUSE"}
ACCEPT_STATUSES = {"ACCEPT", "READ", "ACCESS", "NACK", "ACTION"}
# HostedFile schema types, plus JPEG: the original app sends the MIME subtype.
HOSTED_FILE_TYPES = {"IMG", "JPG", "JPEG", "PNG", "GIF", "TXT", "PDF"}
MAX_PREVIEW_CHARS = 30 * 1024
TTR_TYPES = {"NORMAL", "URGENT", "PRIORITIZED"}
# TTRField's ttrType (assets/schema/cm/types/TTRChange.json; docs/LIVEPERSON.md, 'Send API: SEND').
TTR_FIELD_TYPES = TTR_TYPES | {"CUSTOM"}
CLOSED_BY_CONSUMER = "Closed by consumer"
# How the sandbox refuses one item of a CONVERSATION array (per-item error codes
# are not confirmed by any source, docs/LIVEPERSON.md); the HTTP status stays 200 as for the other items.
ITEM_REFUSED = "BAD_REQUEST"


class RequestInvalidError(Exception):
    """The request is malformed or not allowed now: HTTP 400 with this message."""


@dataclass(frozen=True)
class ClientProperties:
    """The parsed Client-Properties header (docs/LIVEPERSON.md,
    'Connector authorization: headers on Send API calls'); `raw` is kept on each event."""

    raw: dict | None
    features: list[str]


def client_properties_parse(header: str) -> ClientProperties:
    if not header:
        return ClientProperties(raw=None, features=[])
    try:
        raw = json.loads(header)
    except ValueError:
        raise RequestInvalidError("Client-Properties header is not JSON") from None
    features = raw.get("features", []) if isinstance(raw, dict) else None
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise RequestInvalidError("Client-Properties must be an object whose features are strings")
    return ClientProperties(raw=raw, features=features)


# --- CONVERSATION (docs/LIVEPERSON.md, 'Send API: CONVERSATION') --------------------


def conversation_request(*, caller: Caller, items, properties: ClientProperties) -> list[dict]:
    """Open a conversation from the array of SetUserProfile + ConsumerRequestConversation.

    Answers one item per request, in request order, each carrying its `reqId`.
    """
    requests = _conversation_items(items)
    profile = requests[0]["body"]
    wanted = next(r for r in requests if r["type"] == CONVERSATION_REQUEST)
    options = _conversation_options(caller, wanted["body"])
    opened = _open(caller, profile, options, properties)
    return [_conversation_answer(request, opened) for request in requests]


def _conversation_items(items) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise RequestInvalidError("The body must be a JSON array of requests")
    for item in items:
        _envelope(item)
        if item["type"] not in (PROFILE_REQUEST, CONVERSATION_REQUEST):
            raise RequestInvalidError(f"Unsupported request type {item['type']} in a CONVERSATION call")
    if [i["type"] for i in items].count(CONVERSATION_REQUEST) != 1:
        raise RequestInvalidError(f"The array needs exactly one {CONVERSATION_REQUEST}")
    if [i["type"] for i in items].count(PROFILE_REQUEST) > 1:
        raise RequestInvalidError(f"The array may hold one {PROFILE_REQUEST}")
    # "The payload with the type userprofile.SetUserProfile is mandatory", first in the array
    # (docs/LIVEPERSON.md, 'Send API: CONVERSATION').
    if items[0]["type"] != PROFILE_REQUEST:
        raise RequestInvalidError(f"The array must start with {PROFILE_REQUEST}")
    return items


def _conversation_options(caller: Caller, body: dict) -> dict:
    if body.get("brandId") != caller.account.account_id:
        raise RequestInvalidError("brandId must be the account id of the URL")
    # The page's table marks channelType mandatory, its own minimal example leaves it out
    # (docs/LIVEPERSON.md, 'Send API: CONVERSATION'): absent is accepted, any other value not.
    if body.get("channelType", "MESSAGING") != "MESSAGING":
        raise RequestInvalidError('channelType must be "MESSAGING"')
    ttr = body.get("ttrDefName")
    if ttr is not None and ttr not in TTR_TYPES:
        raise RequestInvalidError("ttrDefName must be NORMAL, URGENT, PRIORITIZED or null")
    campaign = body.get("campaignInfo") or {}
    if not isinstance(campaign, dict):
        raise RequestInvalidError("campaignInfo must be an object")
    return {
        "skill_id": _id_text(body.get("skillId"), "skillId") or "-1",
        "campaign_id": _id_text(campaign.get("campaignId"), "campaignId"),
        "engagement_id": _id_text(campaign.get("engagementId"), "engagementId"),
        "ttr_type": ttr or "",
    }


def _id_text(value, name: str) -> str:
    """Ids arrive as strings (docs) or numbers (original app)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RequestInvalidError(f"{name} must be a string or a number")
    return str(value)


def _open(caller: Caller, profile: dict, options: dict, properties: ClientProperties):
    """The new conversation, or the reason it was refused (one open conversation per consumer)."""
    with transaction.atomic():
        if caller.consumer.conversations.filter(stage="OPEN").exists():
            return "The consumer already has an open conversation"
        created = messaging.conversation_open(
            consumer=caller.consumer,
            installation=caller.installation,
            features=properties.features,
            profile=profile,
            **options,
        )
        conversation = messaging.conversation_locked(created.conversation_id)
        agent.react(conversation, trigger="opened")
    return conversation


def _conversation_answer(request: dict, opened) -> dict:
    if request["type"] == PROFILE_REQUEST:
        return _ok(request, {"msg": "OK User Profile set successfully"})
    if isinstance(opened, str):
        return {"code": ITEM_REFUSED, "body": {"msg": opened}, "reqId": request["id"]}
    return _ok(request, {"conversationId": opened.conversation_id})


# --- SEND (docs/LIVEPERSON.md, 'Send API: SEND') ----------------------------------------


def send_request(*, caller: Caller, request, properties: ClientProperties) -> dict:
    """Carry out one SEND request and answer it."""
    _envelope(request)
    handler = _HANDLERS.get(request["type"])
    if handler is None:
        raise RequestInvalidError(f"Unsupported request type {request['type']}")
    return handler(caller, request, properties)


# SENDs whose answer only acknowledges: with the account's `send_answer`, the sandbox
# answers them in the other shapes LivePerson may use (docs/LIVEPERSON.md, 'Response
# bodies'). File URL requests always carry their body: it is what they ask for.
ACKNOWLEDGED_REQUESTS = {"ms.PublishEvent", "cm.UpdateConversationField", "userprofile.SetUserProfile"}


def answer_shaped(account, request, answer: dict) -> dict | None:
    """`answer` as the account's `send_answer` has it: documented, no body, or empty (None)."""
    if not isinstance(request, dict) or request.get("type") not in ACKNOWLEDGED_REQUESTS:
        return answer
    if account.send_answer == "empty":
        return None
    if account.send_answer == "no_body":
        return {key: value for key, value in answer.items() if key != "body"}
    return answer


def _envelope(request) -> None:
    if not isinstance(request, dict):
        raise RequestInvalidError("A request must be a JSON object")
    if request.get("kind", "req") != "req":
        raise RequestInvalidError('kind must be "req"')
    if not isinstance(request.get("id"), str | int) or request.get("id") == "":
        raise RequestInvalidError("A request needs an id")
    if not isinstance(request.get("type"), str):
        raise RequestInvalidError("A request needs a type")
    if not isinstance(request.get("body"), dict):
        raise RequestInvalidError("A request needs an object body")


def _ok(request: dict, body) -> dict:
    return {"reqId": request["id"], "code": "OK", "body": body}


# --- ms.PublishEvent ------------------------------------------------------------------


def _publish(caller: Caller, request: dict, properties: ClientProperties) -> dict:
    body = request["body"]
    dialog_id = _required_text(body, "dialogId")
    event = _valid_event(caller, body.get("event"))
    metadata = _valid_metadata(request.get("metadata"))
    with transaction.atomic():
        conversation, dialog = _locked_dialog(caller, dialog_id, body.get("conversationId"))
        if event["type"] == "ChatStateEvent" and dialog.dialog_type == Dialog.Type.POST_SURVEY:
            # The survey dialog is the bot's; no source shows chat states in it
            # (docs/LIVEPERSON.md, 'Post-conversation survey').
            raise RequestInvalidError("Chat states are not supported in a POST_SURVEY dialog")
        record = messaging.publish(
            conversation,
            dialog,
            role="CONSUMER",
            originator_id=caller.consumer.lp_consumer_id,
            event=event,
            metadata=metadata,
            client_properties=properties.raw,
        )
        agent.react(conversation, trigger="consumer_event", record=record)
    return _ok(request, {"sequence": record.sequence} if record.sequence is not None else {})


def _locked_dialog(caller: Caller, dialog_id: str, conversation_id) -> tuple[MessagingConversation, Dialog]:
    """The open dialog a consumer publishes to, with its conversation locked.

    Only `dialogId` is documented as required; the original app adds `conversationId`.
    """
    found = Dialog.objects.filter(dialog_id=dialog_id, conversation__account=caller.account).first()
    if found is None:
        raise RequestInvalidError(f"Unknown dialogId {dialog_id}")
    conversation = _owned(caller, messaging.conversation_locked(found.conversation.conversation_id))
    if conversation_id not in (None, conversation.conversation_id):
        raise RequestInvalidError("dialogId does not belong to conversationId")
    dialog = conversation.dialogs.get(pk=found.pk)  # read again under the lock
    if dialog.state != "OPEN":
        raise RequestInvalidError("The dialog is closed")
    return conversation, dialog


def _owned(caller: Caller, conversation: MessagingConversation) -> MessagingConversation:
    """Only the consumer of a conversation may act on it (else 40103, like LivePerson)."""
    if conversation.consumer_id != caller.consumer.pk:
        raise invalid_consumer_jws()
    return conversation


def _valid_event(caller: Caller, event) -> dict:
    if not isinstance(event, dict):
        raise RequestInvalidError("event must be an object")
    kind = event.get("type")
    if kind == "ContentEvent":
        _valid_content(caller, event)
    elif kind == "ChatStateEvent":
        if event.get("chatState") not in CHAT_STATES:
            raise RequestInvalidError(f"chatState must be one of {sorted(CHAT_STATES)}")
    elif kind == "AcceptStatusEvent":
        _valid_accept_status(event)
    else:
        raise RequestInvalidError("event type must be ContentEvent, ChatStateEvent or AcceptStatusEvent")
    return event


def _valid_accept_status(event: dict) -> None:
    if event.get("status") not in ACCEPT_STATUSES:
        raise RequestInvalidError(f"status must be one of {sorted(ACCEPT_STATUSES)}")
    sequences = event.get("sequenceList")
    if not isinstance(sequences, list) or not sequences:
        raise RequestInvalidError("sequenceList must be a non-empty list")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sequences):
        raise RequestInvalidError("sequenceList holds sequence numbers")


def _valid_content(caller: Caller, event: dict) -> None:
    content_type = event.get("contentType")
    if content_type == "text/plain":
        if not isinstance(event.get("message"), str) or not event["message"]:
            raise RequestInvalidError("A text/plain message must be a non-empty string")
    elif content_type == "hosted/file":
        _valid_hosted_file(caller, event.get("message"))
    else:
        raise RequestInvalidError("contentType must be text/plain or hosted/file")


def _valid_hosted_file(caller: Caller, message) -> None:
    if not isinstance(message, dict):
        raise RequestInvalidError("A hosted/file message must be an object")
    for key in ("relativePath", "fileType"):
        if not isinstance(message.get(key), str):
            raise RequestInvalidError(f"A hosted/file message needs {key}")
    # Optional on the Examples page, required by HostedFile.json: accepted either way
    # (docs/LIVEPERSON.md, 'Send API: file sharing').
    if not isinstance(message.get("caption", ""), str):
        raise RequestInvalidError("caption must be a string")
    if message["fileType"] not in HOSTED_FILE_TYPES:
        raise RequestInvalidError(f"fileType must be one of {sorted(HOSTED_FILE_TYPES)}")
    preview = message.get("preview", "")
    if not isinstance(preview, str) or len(preview) >= MAX_PREVIEW_CHARS:
        raise RequestInvalidError("preview must be a string under 30 KB")
    if swift.uploaded_file(account=caller.account, relative_path=message["relativePath"]) is None:
        raise RequestInvalidError("relativePath is not a file uploaded to this account")


def _valid_metadata(metadata):
    if metadata is not None and not isinstance(metadata, list):
        raise RequestInvalidError("metadata must be a list")
    for item in metadata or []:
        if isinstance(item, dict) and item.get("type") == "ExternalId":
            _valid_external_id(item)
    return metadata


def _valid_external_id(item: dict) -> None:
    """ExternalId: only `type` and an `id` of at most 64 characters (developer-center
    assets/schema/infra/metadata/ExternalId.json, additionalProperties false)."""
    external_id = item.get("id")
    if set(item) != {"type", "id"} or not isinstance(external_id, str) or len(external_id) > 64:
        raise RequestInvalidError("An ExternalId is {type, id} with an id of at most 64 characters")


def _required_text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise RequestInvalidError(f"{key} is required")
    return value


# --- cm.UpdateConversationField --------------------------------------------------------


def _update_field(caller: Caller, request: dict, properties: ClientProperties) -> dict:
    body = request["body"]
    conversation_id = _required_text(body, "conversationId")
    fields = body.get("conversationField")
    fields = [fields] if isinstance(fields, dict) else fields
    if not isinstance(fields, list) or not fields or not all(isinstance(f, dict) for f in fields):
        raise RequestInvalidError("conversationField must be an object or a list of them")
    for field in fields:
        _valid_field(field)
    with transaction.atomic():
        conversation = messaging.conversation_locked(conversation_id)
        if conversation is None or conversation.account_id != caller.account.pk:
            raise RequestInvalidError(f"Unknown conversationId {conversation_id}")
        _owned(caller, conversation)
        for field in fields:
            _FIELD_CHANGES[field["field"]](conversation, field)
    return _ok(request, "OK Conversation updated successfully")


def _valid_field(field: dict) -> None:
    name = field.get("field")
    if name in ("ConversationStateField", "Stage"):
        if field.get("conversationState") != "CLOSE":
            raise RequestInvalidError(f'{name} supports conversationState "CLOSE" only')
    elif name == "DialogChange":
        dialog = field.get("dialog")
        if field.get("type") != "UPDATE" or not isinstance(dialog, dict):
            raise RequestInvalidError('DialogChange needs type "UPDATE" and a dialog')
        _required_text(dialog, "dialogId")
        if dialog.get("state") != "CLOSE":
            raise RequestInvalidError('DialogChange supports dialog state "CLOSE" only')
    elif name == "TTRField":
        if field.get("ttrType") not in TTR_FIELD_TYPES:
            raise RequestInvalidError(f"ttrType must be one of {sorted(TTR_FIELD_TYPES)}")
        value = field.get("value", 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RequestInvalidError("value must be a number of seconds")
    elif name == "CSATRate":
        rate = field.get("csatRate")
        if not isinstance(rate, int) or isinstance(rate, bool) or not 1 <= rate <= 5:
            raise RequestInvalidError("csatRate must be 1 to 5")
    else:
        raise RequestInvalidError(
            "field must be ConversationStateField, Stage, DialogChange, TTRField or CSATRate"
        )


def _close_whole(conversation: MessagingConversation, field: dict) -> None:
    """Stage CLOSE: every dialog closes, the survey is skipped (docs/LIVEPERSON.md, 'Closing')."""
    if conversation.stage == "CLOSE":
        raise RequestInvalidError("The conversation is already closed")
    messaging.close_conversation(conversation, closed_by="CONSUMER", cause=CLOSED_BY_CONSUMER)
    agent.react(conversation, trigger="closed")


def _close_state(conversation: MessagingConversation, field: dict) -> None:
    """ConversationStateField CLOSE (docs/LIVEPERSON.md, 'Closing'): the docs skip the survey
    with Stage, so this close may start it; by default it closes the MAIN dialog as
    DialogChange does. An account with state_field_close "all" closes everything instead."""
    main = messaging.main_dialog(conversation)
    if conversation.account.state_field_close == "all" or main.state != "OPEN":
        _close_whole(conversation, field)
        return
    survey = messaging.close_main_dialog(conversation, cause=CLOSED_BY_CONSUMER)
    agent.react(conversation, trigger="survey_opened" if survey else "closed")


def _ttr(conversation: MessagingConversation, field: dict) -> None:
    """TTRField: the consumer marks the conversation urgent, or back to normal."""
    messaging.ttr_change(conversation, field["ttrType"])


def _dialog_change(conversation: MessagingConversation, field: dict) -> None:
    """Closing the MAIN dialog may open the survey (docs/LIVEPERSON.md, 'Post-conversation survey');
    closing the survey ends everything."""
    wanted = field["dialog"]
    dialog = conversation.dialogs.filter(dialog_id=wanted["dialogId"]).first()
    if dialog is None:
        raise RequestInvalidError("dialogId does not belong to the conversation")
    if dialog.state != "OPEN":
        raise RequestInvalidError("The dialog is already closed")
    cause = wanted.get("closedCause") or CLOSED_BY_CONSUMER
    if dialog.dialog_type == Dialog.Type.POST_SURVEY:
        messaging.close_conversation(conversation, closed_by="CONSUMER", cause=cause)
        agent.react(conversation, trigger="closed")
        return
    survey = messaging.close_main_dialog(conversation, cause=cause)
    agent.react(conversation, trigger="survey_opened" if survey else "closed")


def _csat_rate(conversation: MessagingConversation, field: dict) -> None:
    """Accepted and validated; the sandbox keeps no CSAT score (nothing reads it yet)."""


_FIELD_CHANGES = {
    "ConversationStateField": _close_state,
    "Stage": _close_whole,
    "DialogChange": _dialog_change,
    "TTRField": _ttr,
    "CSATRate": _csat_rate,
}


# --- File sharing (docs/LIVEPERSON.md, 'Send API: file sharing') ---------------------------


def _upload_url(caller: Caller, request: dict, properties: ClientProperties) -> dict:
    body = request["body"]
    if not caller.account.file_sharing:
        raise RequestInvalidError("File sharing is not enabled (messaging.file.sharing.enabled)")
    file_type = body.get("fileType")
    if file_type not in swift.UPLOAD_TYPES:
        raise RequestInvalidError(f"fileType must be one of {sorted(swift.UPLOAD_TYPES)}")
    size = body.get("fileSize")
    if not isinstance(size, str | int) or isinstance(size, bool) or not str(size).isdigit():
        raise RequestInvalidError("fileSize must be a number of bytes, as a string")
    if not 0 < int(size) <= swift.MAX_FILE_BYTES:
        raise RequestInvalidError(f"fileSize must be 1 to {swift.MAX_FILE_BYTES} bytes")
    stored = swift.upload_slot_create(account=caller.account, file_type=file_type, file_size=int(size))
    return _ok(request, _temp_url("PUT", stored.relative_path))


def _download_url(caller: Caller, request: dict, properties: ClientProperties) -> dict:
    relative_path = _required_text(request["body"], "relativePath")
    if swift.uploaded_file(account=caller.account, relative_path=relative_path) is None:
        raise RequestInvalidError("relativePath is not a file uploaded to this account")
    return _ok(request, _temp_url("GET", relative_path))


# --- userprofile.SetUserProfile ----------------------------------------------------------


def _set_user_profile(caller: Caller, request: dict, properties: ClientProperties) -> dict:
    """SDEs sent later through SEND (documented on the SEND page: "set user profile (send
    SDEs)"): the consumer's open conversations take the new profile."""
    with transaction.atomic():
        for conversation in caller.consumer.conversations.select_for_update().filter(stage="OPEN"):
            conversation.consumer_profile = request["body"]
            conversation.save(update_fields=["consumer_profile"])
    return _ok(request, {"msg": "OK User Profile set successfully"})


def _temp_url(method: str, relative_path: str) -> dict:
    return {"relativePath": relative_path, "queryParams": swift.temp_url_params(method, relative_path)}


_HANDLERS = {
    "ms.PublishEvent": _publish,
    "cm.UpdateConversationField": _update_field,
    "ms.GenerateURLForUploadFile": _upload_url,
    "ms.GenerateURLForDownloadFile": _download_url,
    PROFILE_REQUEST: _set_user_profile,
}
