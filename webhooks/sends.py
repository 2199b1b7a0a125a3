"""Replaying a stored notification, and sending a test one, to an app's own
endpoints (docs/FORWARDING.md, "Replays and test sends"). The requests go
through webhooks.outbound, which refuses private addresses and plain http.

A user may send only for the apps of their own account, and at most
SENDS_PER_MINUTE requests a minute (per process), since each one makes the site
call a URL the user chose.
"""

import base64
import hashlib
import hmac
import json
import time

from django.core.cache import cache

from apps_admin.manifest import WEBHOOK_LABELS, WEBHOOK_TYPES
from apps_admin.models import Installation
from webhooks import outbound
from webhooks.forwarding import original_headers
from webhooks.models import Delivery
from webhooks.notifications import CONVERSATION_CHANGE

SENDS_PER_MINUTE = 20
USER_AGENT = "connector_site (test notification)"


class SendError(Exception):
    """Nothing was sent; the message says why, for the page."""


def webhook_kinds() -> list[tuple[str, str]]:
    return [(kind, WEBHOOK_LABELS.get(kind, kind)) for kind in WEBHOOK_TYPES]


# --- Replay -------------------------------------------------------------------------


def delivery_replay(*, user_id: int, account_id: str, delivery_id: int) -> list[tuple[str, outbound.Answer]]:
    """Send an accepted delivery again, its original body and LivePerson headers,
    to its app's endpoint for its type."""
    delivery = Delivery.objects.for_account(account_id).filter(pk=delivery_id, accepted=True).first()
    if delivery is None or not account_id:
        raise SendError("Only an accepted delivery of your account can be replayed.")
    installation = _installation(account_id, delivery.client_id)
    kind = webhook_kind(delivery)
    endpoint = installation.endpoints.get(kind)
    if not endpoint:
        raise SendError(f"The app has no endpoint for {kind}.")
    headers = original_headers(delivery)
    _charge(user_id, 1)
    return [(kind, outbound.post(endpoint, body=delivery.body.encode(), headers=headers))]


def webhook_kind(delivery: Delivery) -> str:
    """The app's webhook key for a delivery: its type, and for messaging its event's type."""
    if delivery.notification_type == CONVERSATION_CHANGE:
        return CONVERSATION_CHANGE
    first = delivery.events.order_by("pk").values_list("event_type", flat=True).first()
    return f"{delivery.notification_type}.{first}" if first else delivery.notification_type


# --- Test notifications ----------------------------------------------------------------


def test_notification_send(
    *, user_id: int, account_id: str, client_id: str, kind: str
) -> list[tuple[str, outbound.Answer]]:
    """A realistic notification of `kind` (or of every type, "all"), signed with
    the app's secret as LivePerson signs it, to each configured endpoint."""
    installation = _installation(account_id, client_id)
    kinds = list(installation.endpoints) if kind == "all" else [kind]
    kinds = [k for k in kinds if k in WEBHOOK_TYPES and installation.endpoints.get(k)]
    if not kinds:
        raise SendError("The app has no endpoint for that type.")
    if not installation.client_secret:
        raise SendError("The app's secret is not known here yet: open the app's page once.")
    _charge(user_id, len(kinds))
    results = []
    for each in kinds:
        body = json.dumps(test_notification(each, account_id), separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "x-liveperson-account-id": account_id,
            "x-liveperson-client-id": client_id,
            "x-liveperson-signature": sign(body, installation.client_secret),
        }
        results.append((each, outbound.post(installation.endpoints[each], body=body, headers=headers)))
    return results


def sign(body: bytes, secret: str) -> str:
    """`sha1=` + base64 HMAC-SHA1 of the exact body, keyed with the client secret (docs/WEBHOOKS.md)."""
    return "sha1=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def test_notification(kind: str, account_id: str) -> dict:
    """A notification of the given webhook type, shaped as LivePerson sends it
    (docs/WEBHOOKS.md), for a conversation named as a test."""
    now = int(time.time() * 1000)
    conversation = f"test-{now}"
    if kind == CONVERSATION_CHANGE:
        details = {
            "skillId": "-1",
            "participants": [{"id": "test-consumer", "role": "CONSUMER"}],
            "dialogs": [{"dialogId": conversation, "dialogType": "MAIN", "state": "OPEN"}],
            "brandId": account_id,
            "state": "OPEN",
            "stage": "OPEN",
            "startTs": now,
            "metaDataLastUpdateTs": now,
        }
        change = {"type": "UPSERT", "result": {"convId": conversation, "conversationDetails": details}}
        return {"kind": "notification", "type": CONVERSATION_CHANGE, "body": {"changes": [change]}}
    change = {
        "sequence": 0,
        "originatorId": "test-agent",
        "originatorMetadata": {"id": "test-agent", "role": "ASSIGNED_AGENT"},
        "serverTimestamp": now,
        "event": _event(kind.rpartition(".")[2]),
        "conversationId": conversation,
        "dialogId": conversation,
    }
    return {"kind": "notification", "type": "ms.MessagingEventNotification", "body": {"changes": [change]}}


def _event(event_type: str) -> dict:
    if event_type == "RichContentEvent":
        content = {"type": "vertical", "elements": [{"type": "text", "text": "A test notification"}]}
        return {"type": event_type, "content": content}
    if event_type == "AcceptStatusEvent":
        return {"type": event_type, "status": "READ", "sequenceList": [0]}
    if event_type == "ChatStateEvent":
        return {"type": event_type, "chatState": "COMPOSING"}
    return {"type": "ContentEvent", "contentType": "text/plain", "message": "A test notification"}


# --- Shared ----------------------------------------------------------------------


def _installation(account_id: str, client_id: str) -> Installation:
    installation = (
        Installation.objects.for_account(account_id).installed().filter(client_id=client_id).first()
        if account_id
        else None
    )
    if installation is None:
        raise SendError("That app is not installed on your account.")
    return installation


def _charge(user_id: int, requests: int) -> None:
    key = f"webhooks.sends:{user_id}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    if cache.incr(key, requests) > SENDS_PER_MINUTE:
        raise SendError(f"At most {SENDS_PER_MINUTE} sends a minute: try again in a minute.")
