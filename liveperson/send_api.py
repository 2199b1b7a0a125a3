"""The Send API (`asyncMessagingEnt`): open a conversation and send to it as a
consumer (docs/LIVEPERSON.md, 'Send API: CONVERSATION' and 'Send API: SEND').

https://developers.liveperson.com/connector-api-send-api-overview.html

401s raise `errors.AppJwtInvalidError` (get a new AppJWT) or
`errors.ConsumerJwsInvalidError`, each with LivePerson's `error_code`.
"""

import json
import uuid
from dataclasses import dataclass

from django.conf import settings

from liveperson import errors, transport

SERVICE = "asyncMessagingEnt"
API_VERSION = {"v": "3"}
CLOSED_BY_CONSUMER = "Closed by consumer"


@dataclass(frozen=True)
class ConsumerAuth:
    """The app's AppJWT, the consumer's ConsumerJWS, and the Client-Properties
    features, which must be sent on every call to take effect
    (docs/LIVEPERSON.md, 'Connector authorization: headers on Send API calls')."""

    app_jwt: str
    consumer_jws: str
    features: tuple[str, ...] = ()

    def headers(self) -> dict:
        properties = {"type": ".ClientProperties", "features": list(self.features)}
        return {
            "Authorization": self.app_jwt,  # the raw token, as documented
            "X-LP-ON-BEHALF": self.consumer_jws,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Client-Properties": json.dumps(properties, separators=(",", ":")),
        }


@dataclass(frozen=True)
class Opened:
    """A new conversation's id and LivePerson's whole answer (one item per request)."""

    conversation_id: str
    response: list


def open_conversation(
    *, base_uri: str, account_id: str, auth: ConsumerAuth, user_profile: dict, request_conversation: dict
) -> Opened:
    """Open a conversation: SetUserProfile then ConsumerRequestConversation in one call.

    `brandId` and `channelType` default to the account and MESSAGING. Answers are
    matched by reqId, not position, and every item must be OK.
    https://developers.liveperson.com/connector-api-send-api-conversation.html
    """
    profile = _request("userprofile.SetUserProfile", user_profile)
    wanted = _request(
        "cm.ConsumerRequestConversation",
        {"brandId": account_id, "channelType": "MESSAGING", **request_conversation},
    )
    answer = transport.json_body(
        _post(base_uri, account_id, "/conversation", auth, [profile, wanted]), service=SERVICE
    )
    if not isinstance(answer, list):
        raise errors.UnexpectedResponseError(f"{SERVICE}: answer is not a list", service=SERVICE)
    items = {item.get("reqId"): item for item in answer if isinstance(item, dict)}
    for request in (profile, wanted):
        _check_item(items.get(request["id"]), request["type"])
    conversation_id = (items[wanted["id"]].get("body") or {}).get("conversationId")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise errors.UnexpectedResponseError(f"{SERVICE}: answer has no conversationId", service=SERVICE)
    return Opened(conversation_id=conversation_id, response=answer)


def send(
    *, base_uri: str, account_id: str, auth: ConsumerAuth, request: dict, read_timeout: float | None = None
) -> dict:
    """Send one request (built below) and return LivePerson's answer.

    `read_timeout` replaces the usual one, for requests worth nothing late (chat states).
    A timeout raises `errors.TimedOutError`, a 2xx that is not JSON
    `errors.AnswerUnreadableError`: either way the request may have been carried out.
    https://developers.liveperson.com/connector-api-send-api-send.html
    """
    response = _post(base_uri, account_id, "/conversation/send", auth, request, read_timeout=read_timeout)
    # Any 2xx is LivePerson accepting the request; the SEND page's body is an example, and
    # an empty or other body only means no sequence (docs/LIVEPERSON.md, 'Response bodies').
    answer = transport.write_answer(response, service=SERVICE)
    return answer if isinstance(answer, dict) else {}


def _post(base_uri: str, account_id: str, path: str, auth: ConsumerAuth, body, *, read_timeout=None):
    url = transport.service_url(
        base_uri, f"/api/account/{transport.account_path(account_id)}/messaging/consumer{path}"
    )
    extra = {}
    if read_timeout is not None:
        extra["timeout"] = (settings.LIVEPERSON_CONNECT_TIMEOUT, read_timeout)
    return transport.request(
        "POST", url, service=SERVICE, params=API_VERSION, headers=auth.headers(), json=body, **extra
    )


def _check_item(item: dict | None, request_type: str) -> None:
    if item is None:
        raise errors.UnexpectedResponseError(f"{SERVICE}: no answer to {request_type}", service=SERVICE)
    if item.get("code") != "OK":
        body = item.get("body")
        detail = (body.get("msg") or body.get("message") or "") if isinstance(body, dict) else (body or "")
        raise errors.UnexpectedResponseError(
            f"{SERVICE}: {request_type} refused", service=SERVICE, detail=str(detail)[:300]
        )


# --- Request builders (pure) --------------------------------------------------------


def _request(request_type: str, body: dict, **extra) -> dict:
    return {"kind": "req", "id": uuid.uuid4().hex[:12], "type": request_type, "body": body, **extra}


def set_user_profile(profile: dict) -> dict:
    """userprofile.SetUserProfile through SEND: new consumer info (SDEs) for the open
    conversation (docs/LIVEPERSON.md, 'Consumer info (SDEs)')."""
    return _request("userprofile.SetUserProfile", profile)


def publish_event(*, conversation_id: str, dialog_id: str, event: dict, metadata: list | None = None) -> dict:
    """ms.PublishEvent of `event` on a dialog; `metadata` answers a survey question
    (docs/LIVEPERSON.md, 'Post-conversation survey')."""
    extra = {"metadata": metadata} if metadata is not None else {}
    body = {"dialogId": dialog_id, "conversationId": conversation_id, "event": event}
    return _request("ms.PublishEvent", body, **extra)


def text_event(message: str) -> dict:
    return {"type": "ContentEvent", "contentType": "text/plain", "message": message}


def file_event(*, caption: str, relative_path: str, file_type: str, preview: str) -> dict:
    """A hosted/file message for a file uploaded to swift; `preview` is a small data URL."""
    message = {"caption": caption, "relativePath": relative_path, "fileType": file_type}
    if preview:
        message["preview"] = preview
    return {"type": "ContentEvent", "contentType": "hosted/file", "message": message}


def chat_state_event(state: str) -> dict:
    """COMPOSING, PAUSE, ACTIVE, INACTIVE or GONE."""
    return {"type": "ChatStateEvent", "chatState": state}


def accept_status_event(status: str, sequences) -> dict:
    """ACCEPT or READ (or ACTION, for survey answers) of the given sequences."""
    return {"type": "AcceptStatusEvent", "status": status, "sequenceList": list(sequences)}


def close_conversation(conversation_id: str) -> dict:
    """ConversationStateField CLOSE: closes the conversation, but may start its survey
    (docs/LIVEPERSON.md, 'Closing'); `close_stage` is the close that skips it."""
    field = {"field": "ConversationStateField", "conversationState": "CLOSE"}
    return _request(
        "cm.UpdateConversationField", {"conversationId": conversation_id, "conversationField": field}
    )


def close_stage(conversation_id: str) -> dict:
    """Stage CLOSE: close every dialog, skipping the post-conversation survey
    (docs/LIVEPERSON.md, 'Closing')."""
    field = {"field": "Stage", "conversationState": "CLOSE"}
    return _request(
        "cm.UpdateConversationField", {"conversationId": conversation_id, "conversationField": field}
    )


def ttr_change(conversation_id: str, *, ttr_type: str, seconds: int) -> dict:
    """TTRField: a new time to respond, e.g. the consumer marks the conversation urgent
    (docs/LIVEPERSON.md, 'Send API: SEND')."""
    field = {"field": "TTRField", "ttrType": ttr_type, "value": seconds}
    return _request(
        "cm.UpdateConversationField", {"conversationId": conversation_id, "conversationField": field}
    )


def close_dialog(*, conversation_id: str, dialog_id: str, cause: str = CLOSED_BY_CONSUMER) -> dict:
    """Close one dialog (DialogChange): closing MAIN lets a post-conversation survey start
    (docs/LIVEPERSON.md, 'Post-conversation survey')."""
    field = {
        "field": "DialogChange",
        "type": "UPDATE",
        "dialog": {"dialogId": dialog_id, "state": "CLOSE", "closedCause": cause},
    }
    return _request(
        "cm.UpdateConversationField", {"conversationId": conversation_id, "conversationField": field}
    )


def upload_url(*, file_size: int, file_type: str) -> dict:
    """Ask for a swift temp URL to upload a file (JPG, JPEG, PNG or GIF, at most 3 MB)."""
    return _request("ms.GenerateURLForUploadFile", {"fileSize": str(file_size), "fileType": file_type})


def download_url(relative_path: str) -> dict:
    return _request("ms.GenerateURLForDownloadFile", {"relativePath": relative_path})
