"""The demo connector: a consumer conversation through the Send API, the server
making every LivePerson call (shared/liveperson-api.md §5–8, §10).

Every call made for a conversation is recorded for its requests console
(ChatRequest, secrets masked by liveperson.recording) and announced to the
conversation's sockets. The functions here are synchronous and make HTTP calls:
consumers run them off the event loop, and never inside a transaction.
"""

import json
import logging
import uuid
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from apps_admin.models import Installation
from apps_admin.services import DEMO_PATH
from chat import files, tokens
from chat.models import ChatConversation, ChatRequest
from liveperson import errors, msghist, recording, send_api, swift
from webhooks import conversations as webhook_conversations
from webhooks.models import Conversation as WebhookConversation

logger = logging.getLogger(__name__)

FEATURES = [
    "AUTO_MESSAGES",
    "RICH_CONTENT",
    "QUICK_REPLIES",
    "MULTI_DIALOG",
    "MARKDOWN_HYPERLINKS",
    "FILE_SHARING",
    "PHOTO_SHARING",
    "CO_BROWSE",
    "CO_APP",
    "SECURE_FORMS",
]
# A post-conversation survey needs these (§8).
SURVEY_FEATURES = ["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"]
CHAT_STATES = ("COMPOSING", "PAUSE", "ACTIVE", "GONE")
RECEIPT_STATUSES = ("ACCEPT", "READ")
TTR_TYPES = ("", "NORMAL", "URGENT", "PRIORITIZED")
MAX_TEXT_LENGTH = 5000
CLOSED_BY_CONSUMER = "Closed by consumer"


class ChatError(Exception):
    """A chat action that did not happen; the message is safe to show (no secret)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class StartOptions:
    """What the user chooses before opening a conversation (§5.3, §6.1)."""

    consumer_name: str
    features: list[str]
    campaign_id: str = ""
    engagement_id: str = ""
    skill_id: str = "-1"
    # When set, the conversation is opened on this skill: its last skill decides the survey (§8).
    survey_skill_id: str = ""
    ttr: str = ""


@dataclass(frozen=True)
class DemoApp:
    """An installed app the chat can use; `webhooks_here` is False when its
    notifications go elsewhere (the chat would then see no events)."""

    client_id: str
    name: str
    webhooks_here: bool
    endpoints: dict = field(default_factory=dict, compare=False)


# --- Apps ---------------------------------------------------------------------------


def demo_installations(*, user, demo_url: str = "") -> list[DemoApp]:
    """The user's account's enabled Connector API apps, by name.

    `demo_url` is this deployment's webhook URL (apps_admin.services.demo_endpoint);
    without it, PUBLIC_BASE_URL's, or any endpoint ending in /notifications/event.
    """
    if not user.lp_account_id:
        return []
    installations = (
        Installation.objects.for_account(user.lp_account_id)
        .installed()
        .filter(enabled=True, scope="msg.consumer")
        .order_by("name", "client_id")
    )
    target = demo_url or (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}{DEMO_PATH}" if settings.PUBLIC_BASE_URL else ""
    )
    return [
        DemoApp(
            client_id=app.client_id,
            name=app.name,
            webhooks_here=_webhooks_here(app.endpoints, target),
            endpoints=app.endpoints,
        )
        for app in installations
    ]


def _webhooks_here(endpoints: dict, target: str) -> bool:
    from apps_admin.manifest import WEBHOOK_TYPES

    if len(endpoints) < len(WEBHOOK_TYPES):
        return False
    if target:
        return set(endpoints.values()) == {target}
    return all(str(url).endswith(DEMO_PATH) for url in endpoints.values())


def _installation_for(user, client_id: str) -> Installation:
    """The app, only when it is an installed app of the user's account."""
    installation = (
        Installation.objects.for_account(user.lp_account_id or "-")
        .installed()
        .filter(client_id=client_id)
        .first()
    )
    if installation is None:
        raise ChatError("This app is not installed on your account.")
    if not installation.enabled:
        raise ChatError("This app is disabled: enable it to chat through it.")
    return installation


# --- Starting -----------------------------------------------------------------------


def conversation_start(
    *, user, lp, client_id: str, options: StartOptions, first_message: str
) -> ChatConversation:
    """Open a conversation as a new consumer of the app, then send the first message
    at once (AUTO_MESSAGES wants it within 10 s, §5.3).

    Raises ChatError (refused app, bad options, LivePerson failing). A failed first
    message does not undo the conversation: it shows in the requests console.
    """
    if lp is None or lp.account_id != user.lp_account_id:
        raise ChatError("Log in with a LivePerson account to chat.")
    installation = _installation_for(user, client_id)
    _check_options(options)
    features = _features(options)
    ext_consumer_id = f"connector-site-{uuid.uuid4().hex}"
    jws_holder: dict[str, str] = {}

    def jws(app_token: str, refresh: bool) -> str:
        if refresh or "token" not in jws_holder:
            jws_holder["token"] = tokens.consumer_jws(
                installation, ext_consumer_id=ext_consumer_id, app_token=app_token
            )
        return jws_holder["token"]

    def call(auth):
        return send_api.open_conversation(
            base_uri=tokens.base_uri(installation.account_id, send_api.SERVICE),
            account_id=installation.account_id,
            auth=auth,
            user_profile=_user_profile(options.consumer_name),
            request_conversation=_request_conversation(installation.account_id, options, features),
        )

    with recording.recording() as exchanges:
        opened = _liveperson(lambda: tokens.with_auth(installation, jws=jws, features=features, call=call))
    conversation = ChatConversation(
        user=user,
        account_id=installation.account_id,
        installation=installation,
        conversation_id=opened.conversation_id,
        main_dialog_id=opened.conversation_id,  # MAIN dialogId = conversationId (§8)
        dialog_id=opened.conversation_id,
        consumer_name=options.consumer_name,
        ext_consumer_id=ext_consumer_id,
        features=features,
        campaign_id=options.campaign_id,
        engagement_id=options.engagement_id,
        skill_id=options.skill_id or "-1",
        survey_skill_id=options.survey_skill_id,
        ttr=options.ttr,
    )
    conversation.consumer_jws = jws_holder["token"]
    conversation.save()
    _record(conversation, exchanges)
    events_conversation(conversation)
    if first_message.strip():
        try:
            conversation_send_text(conversation=conversation, text=first_message)
        except ChatError as exc:
            logger.warning("first message of chat %s failed: %s", conversation.pk, exc.message)
    return conversation


def _check_options(options: StartOptions) -> None:
    unknown = sorted(set(options.features) - set(FEATURES))
    if unknown:
        raise ChatError(f"Unknown features: {', '.join(unknown)}.")
    if options.ttr not in TTR_TYPES:
        raise ChatError("TTR is NORMAL, URGENT or PRIORITIZED.")
    if not options.consumer_name.strip():
        raise ChatError("Give the consumer a name.")


def _features(options: StartOptions) -> list[str]:
    """The chosen features, plus what a survey needs when a survey skill is given."""
    chosen = [name for name in FEATURES if name in options.features]
    if options.survey_skill_id:
        chosen += [name for name in SURVEY_FEATURES if name not in chosen]
    return chosen


def _user_profile(name: str) -> dict:
    """SetUserProfile's body, as the original app fills it (§6.1), with the chosen name."""
    return {"firstName": name, "lastName": "", "role": "consumer", "description": "Demo connector consumer"}


def _request_conversation(account_id: str, options: StartOptions, features: list[str]) -> dict:
    body = {
        "ttrDefName": options.ttr or None,
        "channelType": "MESSAGING",
        "brandId": account_id,
        "skillId": options.survey_skill_id or options.skill_id or "-1",
        "conversationContext": {
            "visitorId": "",
            "sessionId": "",
            "interactionContextId": "2",
            "type": "SharkContext",
            "lang": "en-US",
            "features": features,
        },
    }
    if options.campaign_id or options.engagement_id:
        body["campaignInfo"] = {"campaignId": options.campaign_id, "engagementId": options.engagement_id}
    return body


def events_conversation(conversation: ChatConversation) -> WebhookConversation:
    """The webhooks app's row for this conversation, created if no webhook came yet,
    so that the chat's sockets can join its group before the first event."""
    return webhook_conversations.conversation_ensure(
        account_id=conversation.account_id,
        conversation_id=conversation.conversation_id,
        client_id=conversation.installation.client_id,
    )


# --- In the conversation ----------------------------------------------------------


def conversation_send_text(*, conversation: ChatConversation, text: str, metadata: list | None = None) -> int:
    """Publish a text message on the current dialog; returns its sequence."""
    text = (text or "").strip()
    if not text:
        raise ChatError("The message is empty.")
    if len(text) > MAX_TEXT_LENGTH:
        raise ChatError(f"A message has at most {MAX_TEXT_LENGTH} characters.")
    _check_open(conversation)
    event = send_api.text_event(text)
    return _publish(conversation, event, metadata=metadata)


def conversation_chat_state(*, conversation: ChatConversation, state: str) -> None:
    """COMPOSING, PAUSE, ACTIVE or GONE; none during a survey or once closed (§7)."""
    if state not in CHAT_STATES:
        raise ChatError("Unknown chat state.")
    if conversation.in_survey or conversation.state == "CLOSE":
        return
    _publish(conversation, send_api.chat_state_event(state))


def conversation_receipt(*, conversation: ChatConversation, status: str, sequences: list[int]) -> None:
    """ACCEPT or READ for agent messages received (§7)."""
    if status not in RECEIPT_STATUSES:
        raise ChatError("A receipt is ACCEPT or READ.")
    sequences = [s for s in sequences if isinstance(s, int) and not isinstance(s, bool) and s >= 0]
    if not sequences or conversation.closed:
        return
    _publish(conversation, send_api.accept_status_event(status, sequences))


def survey_answer(*, conversation: ChatConversation, sequence: int, text: str, metadata: list) -> int:
    """Answer a survey question as documented (§8): ACTION on the question with the
    button's metadata, then the button's text with the same metadata."""
    if not conversation.in_survey:
        raise ChatError("There is no survey to answer.")
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        raise ChatError("Which question is this the answer to?")
    metadata = metadata if isinstance(metadata, list) else []
    _publish(conversation, send_api.accept_status_event("ACTION", [sequence]), metadata=metadata or None)
    return conversation_send_text(conversation=conversation, text=text, metadata=metadata or None)


def conversation_close(*, conversation: ChatConversation) -> None:
    """Close the whole conversation (ConversationStateField CLOSE)."""
    if conversation.closed:
        raise ChatError("The conversation is already closed.")
    _send(conversation, send_api.close_conversation(conversation.conversation_id))


def conversation_close_for_survey(*, conversation: ChatConversation) -> None:
    """Close only the MAIN dialog (DialogChange), which opens the survey when the
    conversation's skill has one (§8)."""
    if conversation.state == "CLOSE":
        raise ChatError("The conversation is already closed.")
    request = send_api.close_dialog(
        conversation_id=conversation.conversation_id,
        dialog_id=conversation.main_dialog_id,
        cause=CLOSED_BY_CONSUMER,
    )
    _send(conversation, request)


def _check_open(conversation: ChatConversation) -> None:
    if conversation.closed or (conversation.state == "CLOSE" and not conversation.in_survey):
        raise ChatError("The conversation is closed.")


def _publish(conversation: ChatConversation, event: dict, *, metadata: list | None = None) -> int | None:
    request = send_api.publish_event(
        conversation_id=conversation.conversation_id,
        dialog_id=conversation.dialog_id,
        event=event,
        metadata=metadata,
    )
    return _sequence(_send(conversation, request))


def _sequence(answer) -> int | None:
    body = answer.get("body") if isinstance(answer, dict) else None
    sequence = body.get("sequence") if isinstance(body, dict) else None
    return sequence if isinstance(sequence, int) else None


def _send(conversation: ChatConversation, request: dict) -> dict:
    """One Send API request for the conversation, recorded for its console."""

    def call(auth):
        return send_api.send(
            base_uri=tokens.base_uri(conversation.account_id, send_api.SERVICE),
            account_id=conversation.account_id,
            auth=auth,
            request=request,
        )

    with recording.recording() as exchanges:
        try:
            return _liveperson(lambda: tokens.conversation_auth_call(conversation, call))
        finally:
            _record(conversation, exchanges)


# --- Files (§6.3) -----------------------------------------------------------------


def file_send(*, conversation: ChatConversation, data: bytes, filename: str) -> tuple[int | None, str]:
    """Upload an image to swift and publish it with a preview; returns (sequence, relativePath).

    Raises ChatError for a type or size LivePerson refuses, before any call.
    """
    _check_open(conversation)
    if conversation.in_survey:
        raise ChatError("Files cannot be sent during the survey.")
    try:
        image = files.checked_image(data)
    except files.FileRefusedError as exc:
        raise ChatError(str(exc)) from None
    answer = _send(conversation, send_api.upload_url(file_size=len(data), file_type=image.file_type))
    relative_path, query = _temp_url(answer)
    with recording.recording() as exchanges:
        try:
            _liveperson(
                lambda: swift.upload(
                    base_uri=tokens.base_uri(conversation.account_id, swift.SERVICE),
                    relative_path=relative_path,
                    query_params=query,
                    data=data,
                    content_type=image.content_type,
                )
            )
        finally:
            _record(conversation, exchanges)
    event = send_api.file_event(
        caption=files.caption(filename, image.file_type),
        relative_path=relative_path,
        file_type=image.file_type,
        preview=image.preview,
    )
    return _publish(conversation, event), relative_path


def file_fetch(*, conversation: ChatConversation, relative_path: str) -> tuple[bytes, str]:
    """A file of the conversation from swift, through a download URL: (content, type)."""
    if not relative_path.startswith("/") or ".." in relative_path:
        raise ChatError("Not a file path.")
    answer = _send(conversation, send_api.download_url(relative_path))
    path, query = _temp_url(answer)
    with recording.recording() as exchanges:
        try:
            return _liveperson(
                lambda: swift.download(
                    base_uri=tokens.base_uri(conversation.account_id, swift.SERVICE),
                    relative_path=path or relative_path,
                    query_params=query,
                )
            )
        finally:
            _record(conversation, exchanges)


def _temp_url(answer) -> tuple[str, dict]:
    body = answer.get("body") if isinstance(answer, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("relativePath"), str):
        raise ChatError("LivePerson gave no file URL.")
    query = body.get("queryParams") if isinstance(body.get("queryParams"), dict) else {}
    return body["relativePath"], query


# --- Errors, the console ------------------------------------------------------------


def _liveperson(call):
    """Run LivePerson calls; failures become a ChatError with a message for people."""
    try:
        return call()
    except tokens.MissingSecretError:
        raise ChatError(
            "This site does not know the app's client secret: open the app's page once to record it."
        ) from None
    except errors.LivePersonError as exc:
        raise ChatError(errors.user_message(exc)) from None


def _record(conversation: ChatConversation, exchanges: list) -> None:
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


# --- Following the conversation's state (§8, §9.6) ----------------------------------

CONVERSATION_CHANGE = "cqm.ExConversationChangeNotification"


def conversation_apply_changes(*, conversation: ChatConversation, events: list[dict]) -> bool:
    """Bring state, stage and the current dialog in step with the newest
    ExConversation change among `events` (Event.as_message() dicts).

    Changes are not delivered in order (§9.5): one older than what was applied
    is ignored. Returns True when the conversation changed.
    """
    results = [_change_result(event) for event in events]
    newest = max((r for r in results if r), key=_updated_ts, default=None)
    if newest is None or _updated_ts(newest) <= conversation.updated_ts:
        return False
    details = newest.get("conversationDetails") if isinstance(newest.get("conversationDetails"), dict) else {}
    changed = {"updated_ts": _updated_ts(newest)}
    for name in ("state", "stage"):
        if details.get(name) in ("OPEN", "CLOSE"):
            changed[name] = details[name]
    survey = _open_survey_dialog(details)
    if survey:
        changed["dialog_id"] = survey
    # Another socket may apply a newer change at the same time: only move forward.
    newer = ChatConversation.objects.filter(pk=conversation.pk, updated_ts__lt=changed["updated_ts"])
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


# --- Restoring from LivePerson's history (§10) --------------------------------------

HISTORY_KINDS = {"TEXT_PLAIN": "text", "HOSTED_FILE": "file", "RICH_CONTENT": "rich"}


def history_needed(conversation: ChatConversation) -> bool:
    """Whether our stored events miss some of the conversation: its app's
    notifications do not all come to a /notifications/event endpoint."""
    return not _webhooks_here(conversation.installation.endpoints, "")


def conversation_history(*, conversation: ChatConversation, bearer: str) -> list[dict]:
    """The conversation's messages from the messaging history API, oldest first,
    as {"seq", "time", "sent_by", "kind", "text", "file", "content"}."""
    with recording.recording() as exchanges:
        try:
            record = _liveperson(
                lambda: msghist.search_conversation(
                    base_uri=tokens.base_uri(conversation.account_id, msghist.SERVICE),
                    account_id=conversation.account_id,
                    bearer=bearer,
                    conversation_id=conversation.conversation_id,
                )
            )
        finally:
            _record(conversation, exchanges)
    messages = (record or {}).get("messageRecords") or []
    records = [history_record(m) for m in messages if isinstance(m, dict)]
    return sorted(records, key=lambda r: (r["time"] or 0, r["seq"] if isinstance(r["seq"], int) else -1))


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
    """History `seq` is documented as a string, shown as a number (§10)."""
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
