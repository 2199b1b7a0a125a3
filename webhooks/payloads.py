"""LivePerson webhook notifications as tests and benchmarks send them (docs/WEBHOOKS.md),
and their signature."""

import base64
import hashlib
import hmac
import json

CONVERSATION = "5491c2f1-1c9e-4e39-a5d2-2c6b6e4b0001"
ACCOUNT = "90000001"
CLIENT_ID = "c1d2e3f4-0000-4000-8000-000000000001"
SECRET = "webhook-secret-of-the-test-app-0123456789abcdef"


def sign(body: bytes, secret: str = SECRET, algorithm: str = "sha1") -> str:
    digest = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}[algorithm]
    return f"{algorithm}=" + base64.b64encode(hmac.new(secret.encode(), body, digest).digest()).decode()


def headers_for(
    body: bytes, *, account=ACCOUNT, client_id=CLIENT_ID, secret=SECRET, algorithm="sha1"
) -> dict:
    return {
        "content-type": "application/json",
        "x-liveperson-account-id": account,
        "x-liveperson-client-id": client_id,
        "x-liveperson-signature": sign(body, secret, algorithm),
    }


def messaging(*changes: dict) -> dict:
    return {
        "kind": "notification",
        "type": "ms.MessagingEventNotification",
        "body": {"changes": list(changes)},
    }


def content(sequence: int, text: str = "Hello from the agent", conversation=CONVERSATION, **extra) -> dict:
    return {
        "sequence": sequence,
        "originatorId": "29c3-agent",
        "originatorMetadata": {"id": "29c3-agent", "role": "ASSIGNED_AGENT"},
        "serverTimestamp": 1528371199686 + sequence,
        "event": {"type": "ContentEvent", "contentType": "text/plain", "message": text},
        "conversationId": conversation,
        "dialogId": conversation,
        "messageAudience": "ALL",
        **extra,
    }


def dialog_only_content(sequence: int, dialog: str = CONVERSATION) -> dict:
    change = content(sequence, conversation=dialog)
    del change["conversationId"]
    return change


def accept_status(sequence: int, status: str = "READ", seen=(0,)) -> dict:
    return {
        "sequence": sequence,
        "originatorId": "29c3-agent",
        "originatorMetadata": {"id": "29c3-agent", "role": "ASSIGNED_AGENT"},
        "serverTimestamp": 1528371199686 + sequence,
        "event": {"type": "AcceptStatusEvent", "status": status, "sequenceList": list(seen)},
        "conversationId": CONVERSATION,
        "dialogId": CONVERSATION,
    }


def chat_state(state: str = "COMPOSING") -> dict:
    return {
        "originatorId": "29c3-agent",
        "originatorMetadata": {"id": "29c3-agent", "role": "ASSIGNED_AGENT"},
        "event": {"type": "ChatStateEvent", "chatState": state},
        "conversationId": CONVERSATION,
        "dialogId": CONVERSATION,
    }


def rich_content(sequence: int) -> dict:
    return {
        **content(sequence),
        "event": {
            "type": "RichContentEvent",
            "content": {"type": "vertical", "elements": [{"type": "text", "text": "Pick one"}]},
        },
    }


def conversation_change(
    state: str = "OPEN", updated: int = 1545398580042, change_type: str = "UPSERT"
) -> dict:
    return {
        "kind": "notification",
        "type": "cqm.ExConversationChangeNotification",
        "body": {
            "changes": [
                {
                    "type": change_type,
                    "result": {
                        "convId": CONVERSATION,
                        "effectiveTTR": -1,
                        "conversationDetails": {
                            "skillId": "-1",
                            "participants": [{"id": "2969-consumer", "role": "CONSUMER"}],
                            "dialogs": [{"dialogId": CONVERSATION, "dialogType": "MAIN", "state": state}],
                            "brandId": ACCOUNT,
                            "state": state,
                            "stage": state,
                            "startTs": 1545398580042,
                            "metaDataLastUpdateTs": updated,
                        },
                    },
                }
            ]
        },
    }


def encode(notification: dict, *, ascii_only: bool = False) -> bytes:
    """LivePerson's bytes: compact separators, unicode escaped or raw."""
    return json.dumps(notification, separators=(",", ":"), ensure_ascii=ascii_only).encode()
