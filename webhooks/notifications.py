"""Reading LivePerson webhook requests (shared/liveperson-api.md §9): signature,
envelope, and each change's conversation, type and identity. Pure functions."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

MESSAGING = "ms.MessagingEventNotification"
CONVERSATION_CHANGE = "cqm.ExConversationChangeNotification"
DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


class NotANotificationError(ValueError):
    """JSON, but not a LivePerson notification envelope."""


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
    """HMAC of the exact body bytes, base64, compared in constant time (§9.3)."""
    algorithm, _, signature = header.partition("=")
    digest = DIGESTS.get(algorithm.strip().lower())
    if digest is None or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw_body, digest).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def parse(raw_body: bytes) -> tuple[str, list[Change]]:
    """The notification type and its changes.

    Raises ValueError (json) for malformed JSON and NotANotificationError for
    JSON that is not a notification. Unknown notification and event types are
    kept: LivePerson may add some, and a delivered notification is never lost.
    """
    body = json.loads(raw_body)
    if not isinstance(body, dict) or body.get("kind") != "notification":
        raise NotANotificationError('"kind" is not "notification"')
    notification_type = body.get("type")
    changes = (body.get("body") or {}).get("changes") if isinstance(body.get("body"), dict) else None
    if not isinstance(notification_type, str) or not isinstance(changes, list) or not changes:
        raise NotANotificationError("no type or no body.changes")
    if not all(isinstance(change, dict) for change in changes):
        raise NotANotificationError("a change is not an object")
    return notification_type, [_change(notification_type, change) for change in changes]


def _change(notification_type: str, change: dict) -> Change:
    result = change.get("result") if isinstance(change.get("result"), dict) else {}
    # Older payloads carry only dialogId; conversation changes carry result.convId.
    conversation_id = str(
        change.get("conversationId") or change.get("dialogId") or result.get("convId") or ""
    )
    dialog_id = str(change.get("dialogId") or "")
    return Change(
        conversation_id=conversation_id,
        dialog_id=dialog_id,
        event_type=_event_type(notification_type, change),
        dedupe_key=_dedupe_key(notification_type, change, result, dialog_id),
        payload=change,
    )


def _event_type(notification_type: str, change: dict) -> str:
    if notification_type == CONVERSATION_CHANGE:
        return str(change.get("type") or "UPSERT")
    event = change.get("event") if isinstance(change.get("event"), dict) else {}
    return str(event.get("type") or "unknown")


def _dedupe_key(notification_type: str, change: dict, result: dict, dialog_id: str) -> str | None:
    """What a redelivery of this change has in common with the first delivery.

    Messaging changes have a per-dialog `sequence`; conversation changes a
    `metaDataLastUpdateTs`. Chat states have neither: they are never merged
    (a repeated "typing" is harmless, a merged one could hide a real one).
    """
    if notification_type == MESSAGING and isinstance(change.get("sequence"), int):
        return f"ms:{dialog_id}:{change['sequence']}"
    if notification_type == CONVERSATION_CHANGE:
        updated = result.get("metaDataLastUpdateTs") or (result.get("conversationDetails") or {}).get(
            "metaDataLastUpdateTs"
        )
        if updated:
            return f"cqm:{change.get('type', '')}:{updated}"
    return None
