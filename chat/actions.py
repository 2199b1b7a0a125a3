"""What the consumer does in an open conversation: messages, chat states,
receipts, survey answers, closing, and files.

Each action is one or more Send API or swift calls, recorded for the requests
console. Synchronous HTTP calls: consumers run them off the event loop.
"""

import json

from django.conf import settings

from chat import console, files, sdes, tokens
from chat.exceptions import ChatError, liveperson_call
from chat.models import ChatConversation
from liveperson import recording, send_api, swift

CHAT_STATES = ("COMPOSING", "PAUSE", "ACTIVE", "GONE")
RECEIPT_STATUSES = ("ACCEPT", "READ")
MAX_TEXT_LENGTH = 5000
CLOSED_BY_CONSUMER = "Closed by consumer"
# TTRField needs a value; the Messaging Window API's own example marks urgent with 300 s.
URGENT_RESPONSE_SECONDS = 300
# Click metadata a page may send back (it comes from the agent's message, through the browser).
MAX_METADATA_ITEMS = 10
MAX_METADATA_CHARS = 4000


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
    """COMPOSING, PAUSE, ACTIVE or GONE; none during a survey or once closed
    (docs/LIVEPERSON.md, 'Chat states and accept statuses')."""
    if state not in CHAT_STATES:
        raise ChatError("Unknown chat state.")
    if conversation.in_survey or conversation.state == "CLOSE":
        return
    # Worth nothing late: a slow LivePerson times it out sooner than a message
    # (docs/LIVEPERSON.md, 'Slow answers and duplicates').
    _publish(conversation, send_api.chat_state_event(state), read_timeout=settings.CHAT_STATE_TIMEOUT)


def conversation_receipt(
    *, conversation: ChatConversation, status: str, sequences: list[int], dialog_id: str | None = None
) -> None:
    """ACCEPT or READ for agent messages received
    (docs/LIVEPERSON.md, 'Chat states and accept statuses').

    Sequences are numbered per dialog (docs/LIVEPERSON.md, 'Sequences'): `dialog_id`
    names the dialog of the messages, and a receipt for a dialog that is no longer the
    current one (MAIN once the survey opened) is dropped, never sent to another dialog,
    where the same numbers name other messages.
    """
    if status not in RECEIPT_STATUSES:
        raise ChatError("A receipt is ACCEPT or READ.")
    sequences = [s for s in sequences if isinstance(s, int) and not isinstance(s, bool) and s >= 0]
    if not sequences or conversation.closed:
        return
    if dialog_id is not None and dialog_id != conversation.dialog_id:
        return
    _publish(conversation, send_api.accept_status_event(status, sequences))


def conversation_click(
    *,
    conversation: ChatConversation,
    text: str,
    metadata,
    sequence=None,
    dialog_id: str | None = None,
) -> int:
    """A click on an agent's button or quick reply: with click metadata (e.g. ExternalId)
    and the clicked message's sequence, first an ACTION on that message carrying the
    metadata, then the button's text with it, as the survey answers do
    (docs/LIVEPERSON.md, 'Rich content and quick replies'). Without either, just the text."""
    metadata = checked_metadata(metadata)
    on_this_dialog = dialog_id is None or dialog_id == conversation.dialog_id
    if metadata and _is_sequence(sequence) and on_this_dialog:
        _check_open(conversation)
        _publish(conversation, send_api.accept_status_event("ACTION", [sequence]), metadata=metadata)
    return conversation_send_text(conversation=conversation, text=text, metadata=metadata or None)


def checked_metadata(metadata) -> list[dict]:
    """Click metadata from the page, bounded: a short list of small objects; an ExternalId
    has a string id of at most 64 characters (developer-center
    assets/schema/infra/metadata/ExternalId.json). ChatError otherwise."""
    if metadata is None:
        return []
    if not isinstance(metadata, list) or len(metadata) > MAX_METADATA_ITEMS:
        raise ChatError(f"Click metadata is a list of at most {MAX_METADATA_ITEMS} items.")
    if not all(isinstance(item, dict) for item in metadata) or len(json.dumps(metadata)) > MAX_METADATA_CHARS:
        raise ChatError("Click metadata is a short list of objects.")
    for item in metadata:
        if item.get("type") == "ExternalId":
            external_id = item.get("id")
            if not isinstance(external_id, str) or not 0 < len(external_id) <= 64:
                raise ChatError("An ExternalId has an id of 1 to 64 characters.")
    return metadata


def _is_sequence(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def survey_answer(*, conversation: ChatConversation, sequence: int, text: str, metadata: list) -> int:
    """Answer a survey question as documented (docs/LIVEPERSON.md, 'Post-conversation survey'):
    ACTION on the question with the button's metadata, then the button's text with
    the same metadata."""
    if not conversation.in_survey:
        raise ChatError("There is no survey to answer.")
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        raise ChatError("Which question is this the answer to?")
    metadata = metadata if isinstance(metadata, list) else []
    _publish(conversation, send_api.accept_status_event("ACTION", [sequence]), metadata=metadata or None)
    return conversation_send_text(conversation=conversation, text=text, metadata=metadata or None)


def conversation_close(*, conversation: ChatConversation) -> None:
    """Close the whole conversation, skipping the survey: Stage CLOSE, since
    ConversationStateField CLOSE may start the survey on LivePerson (docs/LIVEPERSON.md, 'Closing')."""
    if conversation.closed:
        raise ChatError("The conversation is already closed.")
    _send(conversation, send_api.close_stage(conversation.conversation_id))


def conversation_close_for_survey(*, conversation: ChatConversation) -> None:
    """Close only the MAIN dialog (DialogChange), which opens the survey when the
    conversation's skill has one (docs/LIVEPERSON.md, 'Post-conversation survey')."""
    if conversation.state == "CLOSE":
        raise ChatError("The conversation is already closed.")
    request = send_api.close_dialog(
        conversation_id=conversation.conversation_id,
        dialog_id=conversation.main_dialog_id,
        cause=CLOSED_BY_CONSUMER,
    )
    _send(conversation, request)


def conversation_mark_urgent(*, conversation: ChatConversation) -> None:
    """TTRField URGENT: the consumer asks for a faster answer; the ExConversation change
    that follows carries the new `ttr` (docs/LIVEPERSON.md, 'Send API: SEND')."""
    if conversation.state == "CLOSE":
        raise ChatError("The conversation is closed.")
    request = send_api.ttr_change(
        conversation.conversation_id, ttr_type="URGENT", seconds=URGENT_RESPONSE_SECONDS
    )
    _send(conversation, request)


def conversation_set_consumer_info(*, conversation: ChatConversation, values: dict[str, str]) -> None:
    """New consumer info for the agent: SetUserProfile through SEND with the SDEs of `values`
    (cleaned by chat.forms.ConsumerInfoForm; docs/LIVEPERSON.md, 'Consumer info (SDEs)')."""
    _check_open(conversation)
    profile = sdes.user_profile(name=conversation.consumer_name, values=values)
    _send(conversation, send_api.set_user_profile(profile))


def _check_open(conversation: ChatConversation) -> None:
    if conversation.closed or (conversation.state == "CLOSE" and not conversation.in_survey):
        raise ChatError("The conversation is closed.")


def _publish(
    conversation: ChatConversation, event: dict, *, metadata: list | None = None, read_timeout=None
) -> int | None:
    request = send_api.publish_event(
        conversation_id=conversation.conversation_id,
        dialog_id=conversation.dialog_id,
        event=event,
        metadata=metadata,
    )
    return _sequence(_send(conversation, request, read_timeout=read_timeout))


def _sequence(answer) -> int | None:
    body = answer.get("body") if isinstance(answer, dict) else None
    sequence = body.get("sequence") if isinstance(body, dict) else None
    return sequence if isinstance(sequence, int) else None


def _send(conversation: ChatConversation, request: dict, *, read_timeout=None) -> dict:
    """One Send API request for the conversation, recorded for its console.

    A timeout raises ChatUnconfirmedError: the request may have been carried out."""

    def call(auth):
        return send_api.send(
            base_uri=tokens.base_uri(conversation.account_id, send_api.SERVICE),
            account_id=conversation.account_id,
            auth=auth,
            request=request,
            read_timeout=read_timeout,
        )

    with recording.recording() as exchanges:
        try:
            return liveperson_call(lambda: tokens.conversation_auth_call(conversation, call))
        finally:
            console.record(conversation, exchanges)


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
            liveperson_call(
                lambda: swift.upload(
                    base_uri=tokens.base_uri(conversation.account_id, swift.SERVICE),
                    relative_path=relative_path,
                    query_params=query,
                    data=data,
                    content_type=image.content_type,
                )
            )
        finally:
            console.record(conversation, exchanges)
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
            return liveperson_call(
                lambda: swift.download(
                    base_uri=tokens.base_uri(conversation.account_id, swift.SERVICE),
                    relative_path=path or relative_path,
                    query_params=query,
                )
            )
        finally:
            console.record(conversation, exchanges)


def _temp_url(answer) -> tuple[str, dict]:
    body = answer.get("body") if isinstance(answer, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("relativePath"), str):
        raise ChatError("LivePerson gave no file URL.")
    query = body.get("queryParams") if isinstance(body.get("queryParams"), dict) else {}
    return body["relativePath"], query
