"""Deliveries, events and conversations as data: the JSON API's shapes and the JSON lines exports.

The pydantic models here are the one description of each record: the API
(api/) answers with them and documents them in its OpenAPI document, and the
exports write them, one per line. Stored headers are already masked by the
receiver (webhooks.receiver.masked), so no secret leaves through them.

An export streams: rows are read in keyset chunks (core.keyset), each chunk off
the event loop, so memory stays bounded however long the list is and rows that
arrive meanwhile neither repeat nor shift the rest.
"""

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from pydantic import BaseModel, ConfigDict

from core import curl
from core.keyset import Keyset
from core.offloop import off_loop
from webhooks import receiver, selectors
from webhooks.forms import EVENT_TYPES, OTHER_EVENT_TYPE
from webhooks.models import Conversation, Delivery, Event

# Newest first on immutable columns: a new webhook lands before the first page, never inside the list.
NEWEST_FIRST = Keyset(("received_at", "id"))
# A conversation's events in their order; new ones come after the last page.
IN_SEQ_ORDER = Keyset(("seq",), descending=False)
# Conversations by when they were first seen: their last activity changes, their id does not.
NEWEST_CONVERSATIONS = Keyset(("id",))
# Rows per chunk of an export. A delivery's body may be up to WEBHOOK_MAX_BODY_BYTES,
# so fewer of them at a time.
DELIVERY_CHUNK = 20
EVENT_CHUNK = 200
JSON_LINES = "application/x-ndjson"
# Where "copy as curl" sends a delivery: the developer puts their own endpoint there.
CURL_PLACEHOLDER_URL = "https://your-server.example/webhooks"
# Headers of the hop that reached this site (the proxy's, the connection's), not LivePerson's.
CURL_LEFT_OUT = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
}


class DeliveryOut(BaseModel):
    """One request to the webhook endpoint, without its headers and body."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    account_id: str
    client_id: str
    method: str
    status: int
    accepted: bool
    reason: str
    detail: str
    notification_type: str
    event_count: int
    signature_valid: bool | None


class DeliveryDetailOut(DeliveryOut):
    """A delivery with its headers (secrets masked as stored) and body (as received)."""

    headers: list[tuple[str, str]]
    body: str
    body_truncated: bool

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryDetailOut":
        fields = DeliveryOut.model_validate(delivery).model_dump()
        return cls(
            **fields,
            headers=selectors.header_rows(delivery.headers),
            body=delivery.body,
            body_truncated=delivery.body_truncated,
        )


class EventOut(BaseModel):
    """One change of an accepted notification; `seq` is its place in its conversation."""

    id: int
    conversation: int | None
    conversation_id: str | None
    seq: int | None
    delivery: int | None
    account_id: str
    client_id: str
    notification_type: str
    event_type: str
    dialog_id: str
    received_at: datetime
    payload: Any

    @classmethod
    def of(cls, event: Event) -> "EventOut":
        conversation = event.conversation if event.conversation_id else None
        return cls(
            id=event.pk,
            conversation=event.conversation_id,
            conversation_id=conversation.conversation_id if conversation else None,
            seq=event.seq,
            delivery=event.delivery_id,
            account_id=event.account_id,
            client_id=event.client_id,
            notification_type=event.notification_type,
            event_type=event.event_type,
            dialog_id=event.dialog_id,
            received_at=event.received_at,
            payload=event.payload,
        )


class ConversationOut(BaseModel):
    """A LivePerson conversation seen in webhooks; `last_seq` is the seq of its newest event."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: str
    account_id: str
    client_id: str
    first_event_at: datetime
    last_event_at: datetime
    last_seq: int


# --- What the API and the exports list ---


def deliveries(*, account_id: str, filters: dict) -> QuerySet[Delivery]:
    """The deliveries the events page's filters keep (webhooks.selectors: one way to
    filter), with headers and bodies; `before` is the API's exact, exclusive end."""
    filters = dict(filters)
    before = filters.pop("before", None)
    # The page's list, minus what only the page needs (its prefetch; its order: keysets order).
    rows = selectors.delivery_list(account_id=account_id, filters=filters).prefetch_related(None).defer(None)
    return rows.filter(received_at__lt=before) if before else rows


def events(*, account_id: str, filters: dict) -> QuerySet[Event]:
    """The account's events kept by the deliveries' filters: app, conversation, event
    type and time range (not outcome: every event is of an accepted delivery)."""
    if not account_id:
        return Event.objects.none()
    rows = Event.objects.for_account(account_id).select_related("conversation")
    if filters.get("app"):
        rows = rows.filter(client_id=filters["app"])
    if filters.get("conversation"):
        rows = rows.filter(conversation__conversation_id=filters["conversation"])
    if filters.get("event_type") == OTHER_EVENT_TYPE:
        rows = rows.exclude(event_type__in=EVENT_TYPES)
    elif filters.get("event_type"):
        rows = rows.filter(event_type=filters["event_type"])
    if filters.get("since"):
        rows = rows.filter(received_at__gte=filters["since"])
    if filters.get("before"):
        rows = rows.filter(received_at__lt=filters["before"])
    return rows


def conversation_events(*, conversation: Conversation) -> QuerySet[Event]:
    return conversation.events.select_related("conversation")


# --- Copy as curl ---


def delivery_curl(delivery: Delivery) -> str:
    """A curl command re-sending the delivery's body with LivePerson's headers to a
    placeholder URL. The signature is shown (it is no secret: it proves this one
    body); every header the receiver masked when storing it (custom headers may
    carry API keys) becomes a shell variable to set."""
    headers = [
        (name, value if name.lower() in receiver.VISIBLE_HEADERS else curl.secret_for(name))
        for name, value in selectors.header_rows(delivery.headers)
        if name.lower() not in CURL_LEFT_OUT
    ]
    command = curl.command(
        method=delivery.method or "POST", url=CURL_PLACEHOLDER_URL, headers=headers, body=delivery.body
    )
    if delivery.body_truncated:
        return "# Only the start of this body was stored: the signature will not match it.\n" + command
    return command


# --- JSON lines ---


def deliveries_jsonl(*, account_id: str, filters: dict, filename: str) -> StreamingHttpResponse:
    """The filtered deliveries, newest first, with headers and bodies, one JSON object a line."""
    rows = deliveries(account_id=account_id, filters=filters)
    return _jsonl_response(_lines(rows, NEWEST_FIRST, DELIVERY_CHUNK, DeliveryDetailOut.of), filename)


def conversation_events_jsonl(*, conversation: Conversation, filename: str) -> StreamingHttpResponse:
    """Every event of the conversation in seq order, one JSON object a line."""
    rows = conversation_events(conversation=conversation)
    return _jsonl_response(_lines(rows, IN_SEQ_ORDER, EVENT_CHUNK, EventOut.of), filename)


def _jsonl_response(lines: AsyncIterator[bytes], filename: str) -> StreamingHttpResponse:
    # An async iterator: under ASGI, Django would read a sync one whole into memory first.
    response = StreamingHttpResponse(lines, content_type=JSON_LINES)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


async def _lines(
    queryset: QuerySet, keyset: Keyset, size: int, record: Callable[[Any], BaseModel]
) -> AsyncIterator[bytes]:
    key = None
    while True:
        key, chunk = await off_loop(_chunk)(queryset, keyset, key, size, record)
        if not chunk:
            return
        yield chunk


def _chunk(queryset, keyset: Keyset, key, size: int, record) -> tuple[Any, bytes]:
    rows = keyset.rows_after(queryset, key=key, size=size)
    if not rows:
        return key, b""
    lines = b"".join(record(row).model_dump_json().encode() + b"\n" for row in rows)
    return keyset.key_of(rows[-1]), lines
