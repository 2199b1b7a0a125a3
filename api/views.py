"""The read-only JSON API of a token's LivePerson account (docs/API.md).

django-ninja turns the typed functions below into views and into the OpenAPI
document at /api/v1/openapi.json. Each function is thin: it reads the account
from the token (never from the request), asks webhooks.exports or
webhooks.selectors, and returns their records.
"""

from django.http import Http404
from ninja import NinjaAPI, Path, Query, Router, Status
from ninja.errors import AuthenticationError

from api.auth import AccessTokenAuth
from api.schemas import (
    ConversationFilters,
    ConversationPage,
    DeliveryFilters,
    DeliveryPage,
    EventFilters,
    EventPage,
    PageParams,
    Problem,
    RowId,
    SendResult,
)
from core.keyset import InvalidCursorError, Keyset
from webhooks import exports, selectors, sends
from webhooks.exports import ConversationOut, DeliveryDetailOut


class AccountAPI(NinjaAPI):
    def create_response(self, request, data, *args, **kwargs):
        response = super().create_response(request, data, *args, **kwargs)
        # An account's data, fetched with a token: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response


api = AccountAPI(
    title="Connector site API",
    version="1",
    description="Read-only: the webhook deliveries, events and conversations of your token's "
    "LivePerson account. Authenticate with `Authorization: Bearer <access token>`.",
    auth=AccessTokenAuth(needs="read"),
    # The interactive docs page would load Swagger UI's scripts, which the site's CSP
    # does not allow; the OpenAPI document is enough for any client or viewer.
    docs_url=None,
    urls_namespace="api",
)

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem}
deliveries = Router(tags=["deliveries"])
events = Router(tags=["events"])
conversations = Router(tags=["conversations"])


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    response = api.create_response(request, {"detail": "A valid access token is needed."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(InvalidCursorError)
def invalid_cursor(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=400)


def _page(keyset: Keyset, queryset, params: PageParams, record) -> dict:
    rows, next_cursor = keyset.page(queryset, cursor=params.cursor, limit=params.limit)
    return {"items": [record(row) for row in rows], "next_cursor": next_cursor}


def _account(request) -> str:
    return request.auth.account_id


# --- Deliveries ---


@deliveries.get("", response={200: DeliveryPage, **ERRORS})
def delivery_list(request, filters: Query[DeliveryFilters], page: Query[PageParams]):
    """Deliveries (requests to the webhook endpoint), newest first."""
    rows = exports.deliveries(account_id=_account(request), filters=filters.as_filters())
    rows = rows.defer("headers", "body")
    return _page(exports.NEWEST_FIRST, rows, page, exports.DeliveryOut.model_validate)


@deliveries.get("/export", response={200: None, **ERRORS})
def delivery_export(request, filters: Query[DeliveryFilters]):
    """The filtered deliveries with headers and bodies, newest first, as JSON lines (streamed)."""
    account_id = _account(request)
    filename = f"deliveries-{account_id}.jsonl"
    return exports.deliveries_jsonl(account_id=account_id, filters=filters.as_filters(), filename=filename)


@deliveries.get("/{delivery_id}", response={200: DeliveryDetailOut, **ERRORS})
def delivery_detail(request, delivery_id: Path[RowId]):
    """One delivery with its headers (secrets masked) and body."""
    delivery = selectors.deliveries_for(account_id=_account(request)).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return DeliveryDetailOut.of(delivery)


@deliveries.post(
    "/{delivery_id}/replay", response={200: list[SendResult], **ERRORS}, auth=AccessTokenAuth(needs="full")
)
def delivery_replay(request, delivery_id: Path[RowId]):
    """Send an accepted delivery again, its stored body and LivePerson headers, to its app's
    endpoint for its type (public https endpoints only; a `full` token): what it answered.
    To reach a server on your own machine, use `connector-site replay` (docs/FORWARDING.md)."""
    try:
        results = sends.delivery_replay(
            user_id=request.auth.user_id, account_id=_account(request), delivery_id=delivery_id
        )
    except sends.SendError as exc:
        return Status(400, {"detail": str(exc)})
    return [SendResult.of(webhook, answer) for webhook, answer in results]


# --- Events ---


@events.get("", response={200: EventPage, **ERRORS})
def event_list(request, filters: Query[EventFilters], page: Query[PageParams]):
    """Events (the changes of accepted notifications), newest first."""
    rows = exports.events(account_id=_account(request), filters=filters.as_filters())
    return _page(exports.NEWEST_FIRST, rows, page, exports.EventOut.of)


# --- Conversations ---


@conversations.get("", response={200: ConversationPage, **ERRORS})
def conversation_list(request, filters: Query[ConversationFilters], page: Query[PageParams]):
    """Conversations, the most recently first seen first."""
    rows = selectors.conversation_list(account_id=_account(request), filters=filters.as_filters())
    return _page(exports.NEWEST_CONVERSATIONS, rows, page, ConversationOut.model_validate)


@conversations.get("/{conversation_pk}", response={200: ConversationOut, **ERRORS})
def conversation_detail(request, conversation_pk: Path[RowId]):
    return ConversationOut.model_validate(_conversation(request, conversation_pk))


@conversations.get("/{conversation_pk}/events", response={200: EventPage, **ERRORS})
def conversation_events(request, conversation_pk: Path[RowId], page: Query[PageParams]):
    """The conversation's events in order (seq 1, 2, 3...); new events come after the last page."""
    rows = exports.conversation_events(conversation=_conversation(request, conversation_pk))
    return _page(exports.IN_SEQ_ORDER, rows, page, exports.EventOut.of)


@conversations.get("/{conversation_pk}/events/export", response={200: None, **ERRORS})
def conversation_events_export(request, conversation_pk: Path[RowId]):
    """Every event of the conversation in order, as JSON lines (streamed)."""
    conversation = _conversation(request, conversation_pk)
    # The pk, not LivePerson's id: a header value needs no escaping then.
    filename = f"conversation-{conversation.pk}-events.jsonl"
    return exports.conversation_events_jsonl(conversation=conversation, filename=filename)


def _conversation(request, pk: int):
    conversation = selectors.conversation_for(pk=pk, account_id=_account(request))
    if conversation is None:
        raise Http404
    return conversation


api.add_router("/deliveries", deliveries)
api.add_router("/events", events)
api.add_router("/conversations", conversations)
