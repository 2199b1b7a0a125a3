"""Reading LivePerson webhook requests (docs/WEBHOOKS.md): signature, envelope,
and each change's conversation, type and identity. Pure functions.

A signed body is still a stranger's input (every user can read their own app's
secret), so parsing bounds what one notification can cost: its nesting depth,
its number of changes, the length of the ids stored in indexed columns, and
values PostgreSQL's jsonb cannot hold (NUL, unpaired surrogates, NaN and
infinities) are refused or replaced here, before anything reaches the database.
"""

import base64
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass

MESSAGING = "ms.MessagingEventNotification"
CONVERSATION_CHANGE = "cqm.ExConversationChangeNotification"
DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


# Column lengths of what a change names (webhooks.models): longer ids are refused, not cut,
# since two conversations cut to the same prefix would merge.
MAX_ID_LENGTH = 128
MAX_TYPE_LENGTH = 64
MAX_DEDUPE_KEY_LENGTH = 200
# NUL and the surrogates, which only come in pairs in UTF-8 (jsonb refuses both).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class NotANotificationError(ValueError):
    """JSON, but not a LivePerson notification envelope."""


class TooDeepError(NotANotificationError):
    """Nested deeper than the configured limit."""


class TooManyChangesError(NotANotificationError):
    """More changes than the configured limit."""


@dataclass(frozen=True)
class Limits:
    """What one notification may hold (settings WEBHOOK_MAX_DEPTH, WEBHOOK_MAX_CHANGES)."""

    max_depth: int = 64
    max_changes: int = 1000


@dataclass(frozen=True)
class Change:
    """One entry of `body.changes`, with what we need to store and order it."""

    conversation_id: str  # "" when the change names no conversation
    dialog_id: str
    event_type: str
    dedupe_key: str | None
    payload: dict


def signature_algorithm(header: str) -> str:
    """'sha1' or 'sha256' from 'sha256=<base64>', '' when unknown."""
    algorithm = header.partition("=")[0].strip().lower()
    return algorithm if algorithm in DIGESTS else ""


def signature_valid(raw_body: bytes, header: str, secret: str) -> bool:
    """HMAC of the exact body bytes, base64, compared in constant time (docs/WEBHOOKS.md)."""
    algorithm, _, signature = header.partition("=")
    digest = DIGESTS.get(algorithm.strip().lower())
    if digest is None or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, digest).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def parse(raw_body: bytes, limits: Limits = Limits()) -> tuple[str, list[Change]]:  # noqa: B008 - frozen
    """The notification type and its changes.

    Raises ValueError (json) for malformed JSON and NotANotificationError (or
    one of its subclasses) for JSON that is not a notification or is over a
    limit. Unknown notification and event types are kept: LivePerson may add
    some, and a delivered notification is never lost.
    """
    body = _load(raw_body, limits.max_depth)
    if not isinstance(body, dict) or body.get("kind") != "notification":
        raise NotANotificationError('"kind" is not "notification"')
    notification_type = body.get("type")
    changes = (body.get("body") or {}).get("changes") if isinstance(body.get("body"), dict) else None
    if not isinstance(notification_type, str) or not isinstance(changes, list) or not changes:
        raise NotANotificationError("no type or no body.changes")
    if len(notification_type) > MAX_TYPE_LENGTH:
        raise NotANotificationError(f"type is longer than {MAX_TYPE_LENGTH} characters")
    if len(changes) > limits.max_changes:
        raise TooManyChangesError(f"{len(changes)} changes, more than the limit of {limits.max_changes}")
    if not all(isinstance(change, dict) for change in changes):
        raise NotANotificationError("a change is not an object")
    return notification_type, [_change(notification_type, change) for change in changes]


def refusal(exc: ValueError) -> tuple[int, str]:
    """The HTTP status and delivery reason (webhooks.models.Delivery.Reason) for a body parse refused."""
    if isinstance(exc, TooManyChangesError):
        return 413, "too_many_changes"
    if isinstance(exc, TooDeepError):
        return 400, "too_deep"
    if isinstance(exc, NotANotificationError):
        return 400, "not_a_notification"
    return 400, "malformed_json"


# --- Loading: JSON that PostgreSQL's jsonb can store ------------------------------


def _load(raw_body: bytes, max_depth: int) -> object:
    try:
        value = json.loads(raw_body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:  # deeper than Python's own limit (~1,000 levels)
        raise TooDeepError(f"nested deeper than {max_depth} levels") from None
    # Fewer brackets than the limit cannot nest deeper: the walk is skipped for
    # the ordinary small notification.
    if raw_body.count(b"[") + raw_body.count(b"{") > max_depth and _depth_over(value, max_depth):
        raise TooDeepError(f"nested deeper than {max_depth} levels")
    # NUL and unpaired surrogates can only come from \u escapes or, for
    # surrogates, UTF-8 bytes starting with 0xED (json decodes with surrogatepass).
    if b"\\u" in raw_body or b"\xed" in raw_body:
        value = _storable(value)
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is out of range")
    return number


def _depth_over(value, max_depth: int) -> bool:
    """Whether containers nest deeper than max_depth (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _storable(value):
    """The value with NUL and unpaired surrogates in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _storable_text(text: str) -> str:
    if text.isascii():
        return text.replace("\x00", "\ufffd")
    return _UNSTORABLE.sub("\ufffd", text)


def _change(notification_type: str, change: dict) -> Change:
    result = change.get("result") if isinstance(change.get("result"), dict) else {}
    # Older payloads carry only dialogId; conversation changes carry result.convId.
    conversation_id = str(
        change.get("conversationId") or change.get("dialogId") or result.get("convId") or ""
    )
    dialog_id = str(change.get("dialogId") or "")
    if len(conversation_id) > MAX_ID_LENGTH or len(dialog_id) > MAX_ID_LENGTH:
        raise NotANotificationError(f"a conversation or dialog id is longer than {MAX_ID_LENGTH} characters")
    return Change(
        conversation_id=conversation_id,
        dialog_id=dialog_id,
        event_type=_event_type(notification_type, change)[:MAX_TYPE_LENGTH],
        dedupe_key=_bounded_key(_dedupe_key(notification_type, change, result, dialog_id)),
        payload=change,
    )


def _bounded_key(key: str | None) -> str | None:
    """The key, or its digest when longer than its column: still the same for a redelivery."""
    if key is None or len(key) <= MAX_DEDUPE_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _event_type(notification_type: str, change: dict) -> str:
    if notification_type == CONVERSATION_CHANGE:
        return str(change.get("type") or "UPSERT")
    event = change.get("event") if isinstance(change.get("event"), dict) else {}
    return str(event.get("type") or "unknown")


def _dedupe_key(notification_type: str, change: dict, result: dict, dialog_id: str) -> str | None:
    """What a redelivery of this change has in common with the first delivery.

    Messaging changes have a per-dialog `sequence`. A conversation change carries
    the whole state of the conversation, and its `metaDataLastUpdateTs` is not
    promised to be unique (two changes in one millisecond may share it,
    docs/LIVEPERSON.md, 'Conversation changes'), so only a change with the very
    same content is the same notification: the key is a digest of that content.
    Chat states have neither: they are never merged (a repeated "typing" is
    harmless, a merged one could hide a real one).
    """
    if notification_type == MESSAGING and isinstance(change.get("sequence"), int):
        return f"ms:{dialog_id}:{change['sequence']}"
    if notification_type == CONVERSATION_CHANGE and result:
        canonical = json.dumps(change, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "cqm:" + hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()
    return None
