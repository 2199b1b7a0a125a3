"""The requests console: every LivePerson call made for a conversation is kept
(ChatRequest, secrets masked by liveperson.recording) and announced to the
conversation's sockets."""

import json
import logging
import re
from urllib.parse import urlencode

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat.models import ChatConversation, ChatRequest
from liveperson.recording import MASKED

logger = logging.getLogger(__name__)


def record(conversation: ChatConversation, exchanges: list) -> None:
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
        url=_with_query(exchange.url, exchange.query)[:2000],
        request_headers=exchange.request_headers or {},
        request_body=exchange.request_body,
        status=exchange.status,
        response_body=exchange.response_body,
        duration_ms=exchange.duration_ms or 0,
        error=(exchange.error or "")[:300],
    )


def _with_query(url: str, query: dict) -> str:
    """The URL with its (masked) parameters, as the call went: ?v=3 is part of the API."""
    return f"{url}?{urlencode(query, safe='*')}" if query else url


def _announce(group: str) -> None:
    """New console entries: sockets fetch them from the database (a lost message
    only delays them to the next one or the periodic check)."""
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "chat.requests"})
    except Exception as exc:  # noqa: BLE001 - the layer failing must not fail the chat action
        logger.warning("announcing console entries to %s failed: %r", group, exc)


# --- What each entry is, and the same request as a curl command ---------------------

TEXT_SHOWN = 20
# What stands in for each masked secret in a curl command: a shell variable to set.
SECRET_HEADER_PLACEHOLDERS = {
    "authorization": "LP_APP_JWT",
    "x-lp-on-behalf": "LP_CONSUMER_JWS",
    "cookie": "LP_COOKIE",
}


def entry(request: ChatRequest) -> dict:
    """What the requests console shows of one request: its name and curl command too."""
    return {**request.as_dict(), "name": request_name(request), "curl": curl_command(request)}


def request_name(request: ChatRequest) -> str:
    """What the request does, in a few words: message "Hi…", ChatStateEvent COMPOSING,
    AcceptStatusEvent READ [3], close conversation…"""
    named = {
        "sentinel": "AppJWT (client credentials)",
        "idp": "ConsumerJWS",
        "msgHist": "messaging history",
        "swift": "upload file" if request.method == "PUT" else "download file",
    }.get(request.service)
    if named:
        return named
    body = request.request_body
    if isinstance(body, list):
        return "open conversation (SetUserProfile, ConsumerRequestConversation)"
    if isinstance(body, dict) and isinstance(body.get("type"), str):
        return _send_api_name(body)
    return f"{request.method} {request.url.split('?')[0].rsplit('/', 1)[-1]}"


def _send_api_name(request: dict) -> str:
    body = request.get("body") if isinstance(request.get("body"), dict) else {}
    if request["type"] == "ms.PublishEvent":
        name = _event_name(body.get("event") if isinstance(body.get("event"), dict) else {})
        return f"{name} (survey answer)" if request.get("metadata") else name
    if request["type"] == "cm.UpdateConversationField":
        field = body.get("conversationField") if isinstance(body.get("conversationField"), dict) else {}
        return _field_name(field)
    return {
        "ms.GenerateURLForUploadFile": "upload URL",
        "ms.GenerateURLForDownloadFile": "download URL",
    }.get(request["type"], request["type"])


def _event_name(event: dict) -> str:
    kind = str(event.get("type") or "event")
    if kind == "ContentEvent" and event.get("contentType") == "text/plain":
        text = " ".join(str(event.get("message") or "").split())
        return f'message "{text[:TEXT_SHOWN]}{"…" if len(text) > TEXT_SHOWN else ""}"'
    if kind == "ContentEvent":
        return f"file ({event.get('contentType')})"
    if kind == "ChatStateEvent":
        return f"ChatStateEvent {event.get('chatState', '')}".strip()
    if kind == "AcceptStatusEvent":
        sequences = event.get("sequenceList") if isinstance(event.get("sequenceList"), list) else []
        return f"AcceptStatusEvent {event.get('status', '')} [{', '.join(str(n) for n in sequences)}]"
    return kind


def _field_name(field: dict) -> str:
    kind = field.get("field")
    if kind == "ConversationStateField":
        return "close conversation"
    if kind == "Stage":
        return "close (Stage: no survey)"
    if kind == "DialogChange":
        dialog = field.get("dialog") if isinstance(field.get("dialog"), dict) else {}
        return "close main dialog (survey)" if dialog else "DialogChange"
    if kind == "TTRField":
        return f"TTR {field.get('ttrType', '')}".strip()
    return str(kind or "UpdateConversationField")


# A curl command is built from pieces: text to quote, or a shell variable to expand,
# marked by a private-use character that json.dumps leaves as it is.
_VARIABLE = "\ue000"


def curl_command(request: ChatRequest) -> str:
    """The request as a curl command, each masked secret a shell variable
    ("$LP_APP_JWT"…) to set before running it: the console never holds a secret."""
    lines = [f"curl -X {request.method} {_shell(_url_with_variables(request.url))}"]
    for name, value in (request.request_headers or {}).items():
        if value == MASKED:
            variable = SECRET_HEADER_PLACEHOLDERS.get(name.lower(), f"LP_{_variable_name(name)}")
            lines.append(f"  -H {_shell(f'{name}: {_VARIABLE}{variable}{_VARIABLE}')}")
        else:
            lines.append(f"  -H {_shell(f'{name}: {value}')}")
    lines += _body_lines(request)
    return " \\\n".join(lines)


def _body_lines(request: ChatRequest) -> list[str]:
    body = request.request_body
    if body is None:
        return (
            ["  --data-binary @FILE"]
            if request.method in ("PUT", "POST") and request.service == "swift"
            else []
        )
    headers = {name.lower(): str(value) for name, value in (request.request_headers or {}).items()}
    if isinstance(body, dict) and "json" not in headers.get("content-type", ""):
        # A form (the AppJWT's client credentials), one field a line.
        return [
            f"  --data-urlencode {_shell(f'{key}={_placeholder(key, value)}')}" for key, value in body.items()
        ]
    return [f"  --data-raw {_shell(json.dumps(_with_placeholders(body), ensure_ascii=False))}"]


def _with_placeholders(value, key: str | None = None):
    if value == MASKED and key is not None:
        return _placeholder(key, value)
    if isinstance(value, dict):
        return {k: _with_placeholders(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v) for v in value]
    return value


def _placeholder(key: str, value) -> str:
    return f"{_VARIABLE}LP_{_variable_name(key)}{_VARIABLE}" if value == MASKED else str(value)


def _url_with_variables(url: str) -> str:
    """Masked query values (a swift signature) become variables too."""
    return re.sub(
        r"([?&])([^=&]+)=(?:%2A|\*){8}(?=&|$)",
        lambda match: f"{match[1]}{match[2]}={_VARIABLE}LP_{_variable_name(match[2])}{_VARIABLE}",
        url,
    )


def _variable_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "SECRET"


def _shell(text: str) -> str:
    """Single-quoted text, with each variable piece outside the quotes as "$NAME"."""
    pieces = text.split(_VARIABLE)
    quoted = []
    for index, piece in enumerate(pieces):
        if index % 2:
            quoted.append(f'"${piece}"')
        elif piece:
            quoted.append("'" + piece.replace("'", "'\\''") + "'")
    return "".join(quoted) or "''"
