"""What the events and conversations pages read: one account's rows only.

Every function takes the account id of the logged-in user; an empty account id
(a local operator account) sees nothing, not the rows stored without one.
"""

import json
from datetime import datetime, timedelta

from django.db.models import Exists, JSONField, OuterRef, Prefetch, QuerySet, Subquery

from apps_admin.models import Installation
from webhooks import changes, describe, related
from webhooks.forms import EVENT_TYPES, OTHER_EVENT_TYPE
from webhooks.json_html import json_html
from webhooks.models import Conversation, Delivery, Event
from webhooks.notifications import CONVERSATION_CHANGE
from webhooks.publish import delivery_summary
from webhooks.records import Stored

# The app select lists client ids seen in this many of the newest deliveries:
# enough to find recent strangers without scanning the account's whole history.
RECENT_DELIVERIES_FOR_APPS = 1000
TIMELINE_LIMIT = 500
# The live events page fetches the rows after the newest it shows in batches of this many.
LIVE_ROWS_BATCH = 50


def app_names(*, account_id: str) -> dict[str, str]:
    """Client id to app name, for the apps this site knows on the account."""
    if not account_id:
        return {}
    return dict(Installation.objects.for_account(account_id).values_list("client_id", "name"))


def app_choices(*, account_id: str, names: dict[str, str]) -> list[tuple[str, str]]:
    """The account's known apps, then any other client id seen recently."""
    if not account_id:
        return []
    recent = (
        Delivery.objects.for_account(account_id)
        .order_by("-received_at")
        .values_list("client_id", flat=True)[:RECENT_DELIVERIES_FOR_APPS]
    )
    strangers = sorted({client_id for client_id in recent if client_id and client_id not in names})
    known = sorted(names.items(), key=lambda item: item[1].lower())
    return [(client_id, f"{name} ({client_id})") for client_id, name in known] + [(c, c) for c in strangers]


# --- Deliveries -----------------------------------------------------------------------


def deliveries_for(*, account_id: str) -> QuerySet[Delivery]:
    if not account_id:
        return Delivery.objects.none()
    return Delivery.objects.for_account(account_id)


def delivery_list(*, account_id: str, filters: dict) -> QuerySet[Delivery]:
    """Newest first, with what the table shows: no body, headers or payloads."""
    deliveries = _delivery_filter(deliveries_for(account_id=account_id), filters)
    events = Event.objects.select_related("conversation").only(
        "delivery", "event_type", "conversation", "conversation__conversation_id"
    )
    return (
        deliveries.defer("headers", "body")
        .prefetch_related(Prefetch("events", queryset=events.order_by("pk")))
        .order_by("-received_at", "-pk")
    )


def newest_delivery_id(*, account_id: str) -> int:
    newest = (
        deliveries_for(account_id=account_id).order_by("-received_at", "-pk").values_list("pk", flat=True)
    )
    return newest.first() or 0


def _delivery_filter(deliveries: QuerySet[Delivery], filters: dict) -> QuerySet[Delivery]:
    if filters.get("app"):
        deliveries = deliveries.filter(client_id=filters["app"])
    if filters.get("outcome") in ("accepted", "rejected"):
        deliveries = deliveries.filter(accepted=filters["outcome"] == "accepted")
    if filters.get("since"):
        deliveries = deliveries.filter(received_at__gte=filters["since"])
    if filters.get("until"):
        deliveries = deliveries.filter(received_at__lt=end_of_minute(filters["until"]))
    # Exists, not a join: a delivery with several matching events is one row.
    events = Event.objects.filter(delivery=OuterRef("pk"))
    if filters.get("conversation"):
        deliveries = deliveries.filter(
            Exists(events.filter(conversation__conversation_id=filters["conversation"]))
        )
    if filters.get("event_type") == OTHER_EVENT_TYPE:
        deliveries = deliveries.filter(Exists(events.exclude(event_type__in=EVENT_TYPES)))
    elif filters.get("event_type"):
        deliveries = deliveries.filter(Exists(events.filter(event_type=filters["event_type"])))
    return deliveries


def end_of_minute(value: datetime) -> datetime:
    """The "to" time picked in a datetime-local input includes its whole minute."""
    if value.second or value.microsecond:
        return value + timedelta(microseconds=1)
    return value + timedelta(minutes=1)


def delivery_rows(deliveries, *, names: dict[str, str]) -> list[Delivery]:
    """Adds to each listed delivery what its row shows: `app_name`, `conversations`
    (distinct, in event order) and `first_change` (a `describe.Described` of its
    first event, None without one) with `more_changes` (how many others)."""
    rows = list(deliveries)
    first_ids = []
    for delivery in rows:
        delivery.app_name = names.get(delivery.client_id, "")
        seen = {}
        events = list(delivery.events.all())
        for event in events:
            if event.conversation is not None:
                seen.setdefault(event.conversation.pk, event.conversation)
        delivery.conversations = list(seen.values())
        delivery.more_changes = max(0, delivery.event_count - 1)
        delivery.first_event = events[0] if events else None
        if events:
            first_ids.append(events[0].pk)
    # One query for the payloads of the first events only: a delivery may carry
    # up to WEBHOOK_MAX_CHANGES changes, and the row describes one.
    payloads = dict(Event.objects.filter(pk__in=first_ids).values_list("pk", "payload"))
    for delivery in rows:
        first = delivery.first_event
        delivery.first_change = (
            describe.describe(first.event_type, payloads.get(first.pk)) if first is not None else None
        )
    return rows


def delivery_rows_after(*, account_id: str, filters: dict, after_id: int) -> tuple[list[Delivery], bool]:
    """The next LIVE_ROWS_BATCH deliveries of the filtered list after `after_id`, newest
    first, and whether more follow them: the live events page fetches a burst
    batch by batch, however many arrived."""
    deliveries = _delivery_filter(deliveries_for(account_id=account_id), filters).filter(pk__gt=after_id)
    events = Event.objects.select_related("conversation").only(
        "delivery", "event_type", "conversation", "conversation__conversation_id"
    )
    batch = list(
        deliveries.defer("headers", "body")
        .prefetch_related(Prefetch("events", queryset=events.order_by("pk")))
        .order_by("pk")[: LIVE_ROWS_BATCH + 1]
    )
    return batch[:LIVE_ROWS_BATCH][::-1], len(batch) > LIVE_ROWS_BATCH


def delivery_events(*, delivery: Delivery) -> QuerySet[Event]:
    return delivery.events.select_related("conversation").defer("payload").order_by("pk")


def delivery_events_described(*, delivery: Delivery) -> list[Event]:
    """The delivery's events, each with `described` (who made it, its summary). The
    payloads together are at most the stored body (WEBHOOK_MAX_BODY_BYTES)."""
    events = list(delivery.events.select_related("conversation").order_by("pk"))
    for event in events:
        event.described = describe.describe(event.event_type, event.payload)
    return events


def delivery_events_related(events: list[Event], *, account_id: str) -> list[Event]:
    """The events, each with `related`: what other apps know of its conversation (its demo chat)."""
    ids = {event.conversation.conversation_id for event in events if event.conversation is not None}
    known = related.related(account_id=account_id, conversation_ids=ids)
    for event in events:
        conversation_id = event.conversation.conversation_id if event.conversation is not None else ""
        event.related = known.get(conversation_id, related.Related())
    return events


def header_rows(headers) -> list[tuple[str, str]]:
    """The stored headers as (name, value) pairs, whether kept as an object or as pairs."""
    if isinstance(headers, dict):
        return [(str(name), str(value)) for name, value in headers.items()]
    if isinstance(headers, list):
        return [
            (str(pair[0]), str(pair[1]))
            for pair in headers
            if isinstance(pair, list | tuple) and len(pair) == 2
        ]
    return []


def body_pretty(body: str) -> tuple[str, bool]:
    """The body indented when it is JSON, else as it came; and whether it was JSON.

    A refused body may be nested too deeply to parse or indent (RecursionError):
    it is shown as it came.
    """
    try:
        return pretty_json(json.loads(body)), True
    except (ValueError, RecursionError):
        return body, False


def body_tree(body: str):
    """The body as a foldable JSON tree (webhooks.json_html), or None when it is not
    JSON or too large to fold."""
    try:
        return json_html(json.loads(body))
    except (ValueError, RecursionError):
        return None


def pretty_json(value) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except RecursionError:  # stored payloads are bounded (WEBHOOK_MAX_DEPTH); older ones may not be
        return json.dumps(value, ensure_ascii=False)


# --- Conversations --------------------------------------------------------------------


def conversations_for(*, account_id: str) -> QuerySet[Conversation]:
    if not account_id:
        return Conversation.objects.none()
    return Conversation.objects.for_account(account_id)


def conversation_list(*, account_id: str, filters: dict) -> QuerySet[Conversation]:
    """Newest activity first."""
    conversations = conversations_for(account_id=account_id)
    if filters.get("app"):
        conversations = conversations.filter(client_id=filters["app"])
    if filters.get("conversation"):
        conversations = conversations.filter(conversation_id__icontains=filters["conversation"])
    return conversations.order_by("-last_event_at", "-pk")


def conversation_rows(conversations, *, account_id: str, names: dict[str, str]) -> list[Conversation]:
    """Adds to each listed conversation what its row shows: `app_name`, `state` (of its
    newest ExConversation change: "OPEN", "CLOSE", "CLOSE · stage OPEN"; "" before
    one came) and `related` (its demo chat, webhooks.related)."""
    rows = list(conversations)
    states = conversation_states(pks=[row.pk for row in rows])
    known = related.related(account_id=account_id, conversation_ids=[row.conversation_id for row in rows])
    for conversation in rows:
        conversation.app_name = names.get(conversation.client_id, "")
        conversation.state = states.get(conversation.pk, "")
        conversation.related = known.get(conversation.conversation_id, related.Related())
    return rows


def conversation_states(*, pks: list[int]) -> dict[int, str]:
    """The state of each conversation from its newest UPSERT, in one query."""
    newest = (
        Event.objects.filter(conversation=OuterRef("pk"), event_type="UPSERT")
        .order_by("-seq")
        .values("payload")
    )
    found = Conversation.objects.filter(pk__in=pks).annotate(
        newest_change=Subquery(newest[:1], output_field=JSONField())
    )
    return {pk: _state(payload) for pk, payload in found.values_list("pk", "newest_change") if payload}


def _state(payload) -> str:
    result = payload.get("result") if isinstance(payload, dict) else None
    details = result.get("conversationDetails") if isinstance(result, dict) else None
    if not isinstance(details, dict) or not isinstance(details.get("state"), str):
        return ""
    state, stage = details["state"], details.get("stage")
    return f"{state} · stage {stage}" if isinstance(stage, str) and stage != state else state


def conversation_rows_for(*, account_id: str, filters: dict, pks: list[int]) -> QuerySet[Conversation]:
    """Some conversations of the (filtered) list, for the live list to replace or add
    their rows: newest activity first."""
    return conversation_list(account_id=account_id, filters=filters).filter(pk__in=pks)


def conversation_timeline(
    *, conversation: Conversation, before_seq: int | None = None, limit: int | None = None
) -> list[Event]:
    """The newest `limit` events (before `before_seq`), in seq order, each with
    `described` (who made it, its summary) and `payload_pretty` for display."""
    events = conversation.events.order_by("-seq")
    if before_seq is not None:
        events = events.filter(seq__lt=before_seq)
    timeline = list(events[: limit or TIMELINE_LIMIT])[::-1]
    for event in timeline:
        event.described = describe.describe(event.event_type, event.payload)
        event.summary = event.described.summary
        event.payload_pretty = pretty_json(event.payload)
    _add_change_notes(conversation, timeline)
    return timeline


def _add_change_notes(conversation: Conversation, timeline: list[Event]) -> None:
    """An ExConversation change's summary also says what the agent's side did
    (webhooks/changes.py), told apart from the changes before the page's first row."""
    if not timeline or timeline[0].seq is None:
        return
    tracker = changes.notes_until(conversation_id=conversation.pk, seq=timeline[0].seq - 1)
    for event in timeline:
        if event.notification_type == CONVERSATION_CHANGE:
            event.summary = " · ".join(filter(None, [event.summary, *tracker.notes(event.payload)]))


# --- For the WebSocket consumers (sync; call with database_sync_to_async) ---

CATCH_UP_BATCH = 500
SYNC_DELIVERIES_MAX = 50


def conversation_for(*, pk: int, account_id: str) -> Conversation | None:
    """The conversation, only when it belongs to the user's account."""
    if not account_id:
        return None
    return Conversation.objects.filter(pk=pk, account_id=account_id).first()


def events_after(*, conversation: Conversation, seq: int) -> list[dict]:
    events = Event.objects.filter(conversation=conversation, seq__gt=seq).order_by("seq")[:CATCH_UP_BATCH]
    return [event.as_message() for event in events]


def newest_seqs(*, pks: list[int]) -> dict[int, int]:
    """The newest event seq of each conversation, in one query."""
    return dict(Conversation.objects.filter(pk__in=pks).values_list("pk", "last_seq"))


def deliveries_after(*, account_id: str, after_id: int) -> list[dict]:
    """The account's deliveries newer than `after_id` (rejected ones included), oldest first."""
    deliveries = list(
        Delivery.objects.for_account(account_id).filter(pk__gt=after_id).order_by("-pk")[:SYNC_DELIVERIES_MAX]
    )
    events = Event.objects.filter(delivery__in=deliveries).select_related("conversation")
    by_delivery: dict[int, list[Event]] = {}
    for event in events:
        by_delivery.setdefault(event.delivery_id, []).append(event)
    return [
        delivery_summary(Stored(delivery=d, events=by_delivery.get(d.pk, []))) for d in reversed(deliveries)
    ]
