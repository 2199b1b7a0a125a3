"""What the forwarder's stream reads and sends (docs/FORWARDING.md): an account's
accepted notifications, each once and in order per conversation, from a cursor.

Positions are the conversations' own event numbers (the seq of webhooks/ordering.py),
so the stream reuses the one gap-free mechanism of every other event socket. A
client's cursor is {"origin": <event id>, "seqs": {<conversation pk>: <seq>}}:
in the conversations it names it has every event up to that seq; in any other
it has the events up to event id `origin` and none after. Event ids grow with
seq inside one conversation (its row is locked while its events are numbered
and their ids drawn: webhooks/sql/store_batch.sql), so "the last event of a
conversation at or below `origin`" is a position too.

Every function here is synchronous and reads one account's rows only: call it
with core.offloop.off_loop.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min

from webhooks.models import Conversation, Delivery, Event
from webhooks.receiver import ACCOUNT_HEADER, CLIENT_HEADER, SIGNATURE_HEADER, unsealed_headers

BATCH = 500
MAX_ID = 2**63 - 1
# An event may be committed a little after the time it was received (the
# request waits for its batch): conversations are looked for this far back.
DISCOVERY_MARGIN = timedelta(minutes=5)
# The headers LivePerson sends that a receiver needs to verify the request,
# stored as they came (webhooks.receiver.VISIBLE_HEADERS); the app's custom
# headers are stored sealed (webhooks.receiver.sealed_headers).
FORWARDED_HEADERS = (ACCOUNT_HEADER, CLIENT_HEADER, SIGNATURE_HEADER, "content-type", "user-agent")


class CursorError(ValueError):
    """A subscription the stream cannot honour; the message goes back to the client."""


@dataclass(frozen=True)
class Subscription:
    """What one client asked for, checked: the account is the token's."""

    account_id: str
    client_id: str = ""
    conversation_pk: int | None = None
    conversation_id: str = ""
    origin: int = 0
    seqs: dict[int, int] | None = None


# --- Parsing what the client sent (every value a stranger's) ----------------------


def subscription_from(message: dict, *, account_id: str) -> Subscription:
    """The subscription a client's "subscribe" frame asks for, or CursorError."""
    client_id = _short_text(message.get("app"), "app")
    conversation_id = _short_text(message.get("conversation"), "conversation")
    conversation_pk = conversation_pk_of(account_id, conversation_id) if conversation_id else None
    cursor = message.get("cursor")
    if cursor is not None:
        origin, seqs = _cursor(cursor)
    else:
        origin, seqs = _origin(message, account_id=account_id), {}
    return Subscription(account_id, client_id, conversation_pk, conversation_id, origin, seqs)


def conversation_pk_of(account_id: str, conversation_id: str) -> int | None:
    """The account's conversation of that LivePerson id, once it has one here."""
    found = Conversation.objects.for_account(account_id).filter(conversation_id=conversation_id)
    return found.values_list("pk", flat=True).first()


def _short_text(value, name: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > 128:
        raise CursorError(f"{name} must be a text of at most 128 characters")
    return value


def _cursor(cursor) -> tuple[int, dict[int, int]]:
    if not isinstance(cursor, dict) or not isinstance(cursor.get("seqs", {}), dict):
        raise CursorError('cursor must be {"origin": <int>, "seqs": {<conversation>: <seq>}}')
    origin = _bounded_int(cursor.get("origin"), "cursor.origin")
    seqs = cursor.get("seqs", {})
    if len(seqs) > settings.FORWARD_MAX_CONVERSATIONS:
        raise CursorError(f"cursor names more than {settings.FORWARD_MAX_CONVERSATIONS} conversations")
    parsed = {}
    for key, seq in seqs.items():
        if not isinstance(key, str) or not key.isdigit() or len(key) > 19:
            raise CursorError("cursor.seqs keys must be conversation numbers")
        parsed[int(key)] = _bounded_int(seq, "cursor.seqs values")
    return origin, parsed


def _bounded_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise CursorError(f"{name} must be a whole number from 0 to {MAX_ID}")
    return value


def _origin(message: dict, *, account_id: str) -> int:
    """Where a client without a cursor starts: after a delivery, at a time, or now."""
    if message.get("since_delivery") is not None:
        delivery = _bounded_int(message["since_delivery"], "since_delivery")
        first = Event.objects.filter(delivery_id=delivery, account_id=account_id).aggregate(Min("pk"))
        if first["pk__min"] is None:
            raise CursorError(f"delivery {delivery} has no events of this account")
        return first["pk__min"] - 1
    if message.get("since") is not None:
        since = _time(message["since"])
        before = (
            Event.objects.for_account(account_id)
            .filter(received_at__lt=since)
            .order_by("-received_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        return before or 0
    return Event.objects.aggregate(Max("pk"))["pk__max"] or 0


def _time(value) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise CursorError("since must be an ISO 8601 time with its offset, e.g. 2026-01-31T09:00:00+00:00")
    return parsed


# --- Which conversations to follow, from where ------------------------------------


def conversations_to_follow(subscription: Subscription) -> dict[int, int]:
    """Conversation pk -> the seq the client has, for every conversation with
    events it may not have yet."""
    if subscription.conversation_id:
        if subscription.conversation_pk is None:
            return {}
        return starting_seqs(subscription, [subscription.conversation_pk])
    candidates = set(subscription.seqs or {})
    candidates |= set(recently_active(subscription.account_id, since=origin_time(subscription.origin)))
    if len(candidates) > settings.FORWARD_MAX_CONVERSATIONS:
        raise CursorError(
            f"more than {settings.FORWARD_MAX_CONVERSATIONS} conversations to catch up:"
            " start later (--since, --only-new) or follow one app or conversation"
        )
    return starting_seqs(subscription, sorted(candidates))


def origin_time(origin: int) -> datetime | None:
    received = Event.objects.filter(pk__lte=origin).order_by("-pk").values_list("received_at", flat=True)
    first = received.first()
    return first - DISCOVERY_MARGIN if first is not None else None


def recently_active(account_id: str, *, since: datetime | None) -> list[int]:
    """The account's conversations with an event received after `since` (all when None)."""
    conversations = Conversation.objects.for_account(account_id)
    if since is not None:
        conversations = conversations.filter(last_event_at__gte=since)
    limit = settings.FORWARD_MAX_CONVERSATIONS + 1
    return list(conversations.order_by("-last_event_at").values_list("pk", flat=True)[:limit])


def starting_seqs(subscription: Subscription, pks: list[int]) -> dict[int, int]:
    """For each conversation of the account, the seq the client has."""
    owned = Conversation.objects.for_account(subscription.account_id).filter(pk__in=pks)
    known = subscription.seqs or {}
    starts = {}
    for pk in owned.values_list("pk", flat=True):
        starts[pk] = known[pk] if pk in known else seq_at_origin(pk, subscription.origin)
    return starts


def seq_at_origin(conversation_pk: int, origin: int) -> int:
    """The seq of the conversation's last event with an id at most `origin` (0: none).

    Walks the (conversation, seq) index down from the newest event: it reads only
    the events after the origin."""
    at = (
        Event.objects.filter(conversation_id=conversation_pk, pk__lte=origin)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return at or 0


# --- What the stream reads and sends ---------------------------------------------


def positions_after(*, conversation_pk: int, seq: int) -> list[dict]:
    """The conversation's next events, as the stream orders them: seq and delivery only."""
    events = (
        Event.objects.filter(conversation_id=conversation_pk, seq__gt=seq)
        .order_by("seq")
        .values("seq", "delivery_id")[:BATCH]
    )
    return [{"seq": e["seq"], "conversation": conversation_pk, "delivery": e["delivery_id"]} for e in events]


def notifications(*, account_id: str, delivery_ids: list[int]) -> dict[int, dict]:
    """The account's deliveries by id: what the forwarder posts, and the
    conversations the stream must have reached before sending each."""
    deliveries = Delivery.objects.for_account(account_id).filter(pk__in=delivery_ids, accepted=True)
    found = {d.pk: notification_message(d) for d in deliveries}
    spans = Event.objects.filter(delivery_id__in=list(found), conversation__isnull=False)
    for delivery_id, conversation_pk, seq, conversation_id, event_type in spans.values_list(
        "delivery_id", "conversation_id", "seq", "conversation__conversation_id", "event_type"
    ):
        message, key = found[delivery_id], str(conversation_pk)
        message["positions"][key] = max(seq, message["positions"].get(key, 0))
        message["conversations"].setdefault(key, conversation_id)
        if event_type not in message["event_types"]:
            message["event_types"].append(event_type)
    return found


def notification_message(delivery: Delivery) -> dict:
    """One notification as the forwarder receives it: the exact body, and the
    headers its receiver verifies it with."""
    return {
        "type": "notification",
        "delivery": delivery.pk,
        "received_at": delivery.received_at.isoformat(),
        "account_id": delivery.account_id,
        "client_id": delivery.client_id,
        "notification_type": delivery.notification_type,
        "headers": original_headers(delivery),
        "body": delivery.body,
        "event_types": [],
        "positions": {},
        "conversations": {},
    }


def original_headers(delivery: Delivery) -> dict[str, str]:
    """The headers LivePerson sent that a receiver needs: the app's custom ones
    (unsealed), then LivePerson's own, which a custom header cannot replace."""
    stored = delivery.headers if isinstance(delivery.headers, dict) else {}
    own = {name: stored[name] for name in FORWARDED_HEADERS if isinstance(stored.get(name), str)}
    return {**unsealed_headers(delivery.sealed_headers), **own}


def delivery_for(*, account_id: str, delivery_id: int) -> dict | None:
    """One accepted delivery of the account, as the stream sends it (for `replay`)."""
    found = notifications(account_id=account_id, delivery_ids=[delivery_id])
    return found.get(delivery_id)


def newest_activity(account_id: str, *, since: datetime) -> list[int]:
    """The account's conversations with events received after `since` (the periodic check)."""
    return recently_active(account_id, since=since - DISCOVERY_MARGIN)
