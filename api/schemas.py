"""The API's query parameters and pages; the records themselves are webhooks.exports's."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from core.keyset import MAX_CURSOR_LENGTH
from webhooks.exports import ConversationOut, DeliveryOut, EventOut
from webhooks.forms import EVENT_TYPES, OTHER_EVENT_TYPE

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# As long as the stored columns: a longer value cannot match anything.
MAX_ID_LENGTH = 128

# A row id in a path: bounded, so a huge number is a 422, not a database error.
RowId = Annotated[int, Field(ge=1, lt=2**63)]
EventType = Literal[tuple([*EVENT_TYPES, OTHER_EVENT_TYPE])]  # type: ignore[valid-type]


class PageParams(Schema):
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page."
    )
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")


class _Filters(Schema):
    """The events page's filters. Times are ISO 8601; without an offset they are UTC."""

    app: str | None = Field(None, max_length=MAX_ID_LENGTH, description="Client id of the app.")
    conversation: str | None = Field(
        None, max_length=MAX_ID_LENGTH, description="LivePerson conversation id."
    )
    since: datetime | None = Field(None, description="Received at or after this time.")
    before: datetime | None = Field(None, description="Received before this time.")

    def as_filters(self) -> dict:
        """The filters webhooks.selectors applies, without the empty ones."""
        values = self.model_dump(exclude_none=True)
        for name in ("since", "before"):
            if name in values and values[name].tzinfo is None:
                values[name] = values[name].replace(tzinfo=UTC)
        return values


class EventFilters(_Filters):
    event_type: EventType | None = Field(None, description="`other` is every type not listed.")


class DeliveryFilters(EventFilters):
    outcome: Literal["accepted", "rejected"] | None = None


class ConversationFilters(Schema):
    app: str | None = Field(None, max_length=MAX_ID_LENGTH, description="Client id of the app.")
    conversation: str | None = Field(
        None, max_length=MAX_ID_LENGTH, description="Part of the LivePerson conversation id."
    )

    def as_filters(self) -> dict:
        return self.model_dump(exclude_none=True)


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class Problem(Schema):
    detail: str | list


class SendResult(Schema):
    """One request a replay sent to an app's endpoint (webhooks.outbound.Answer)."""

    webhook: str = Field(description="The app's webhook type the endpoint is configured for.")
    url: str
    status: int | None = Field(description="The endpoint's HTTP status; null when it did not answer.")
    milliseconds: float
    body: str = Field(description="The first 64 KiB of the answer.")
    body_truncated: bool
    error: str = Field(description="Why there was no answer, or why the site refused to send.")

    @classmethod
    def of(cls, webhook: str, answer) -> "SendResult":
        fields = ("url", "status", "milliseconds", "body", "body_truncated", "error")
        return cls(webhook=webhook, **{name: getattr(answer, name) for name in fields})
