"""The webhook batch transaction on PostgreSQL: one statement, one round trip.

Same result as `webhooks.store.store_batch_orm`. The work is done by the SQL function
`webhooks_store_batch` (webhooks/sql/store_batch.sql, installed by a migration),
which receives the whole batch as one JSON document: one round trip, and the
client encodes one string instead of building a statement per step
(docs/PERFORMANCE.md, "What we learned").

No statement is prepared: both connections take Django's connection parameters,
whose `prepare_threshold=None` switches psycopg's prepared statements off, so the
store works behind PgBouncer in transaction mode like the rest of Django
(webhooks/tests/test_store_function.py). The function's own statements are
planned once per session by PL/pgSQL anyway.
"""

import asyncio
import contextlib
from pathlib import Path

import psycopg
from django.db import connection
from django.db.models import DEFERRED

from core import fastjson
from webhooks.models import Conversation, Delivery, Event
from webhooks.records import Stored, delivery_fields

FUNCTION_SQL = Path(__file__).with_name("sql").joinpath("store_batch.sql")
# As text: Django sets this connection to hand jsonb over undecoded.
STORE_BATCH = "SELECT webhooks_store_batch(%s::jsonb)::text"
# A PostgreSQL that is away refuses at once; one that hangs must not hold webhooks long.
CONNECT_TIMEOUT_SECONDS = 2.0


def store_batch(records) -> list:
    """One transaction for the whole batch; see webhooks.store.store_batch_orm for the rules."""
    document = _document(records)
    # psycopg's own errors (PostgreSQL restarted: "the connection is closed")
    # become Django's DatabaseError, which the writer answers with 503 and a new
    # connection; raw, they escaped it, and every later batch failed the same way.
    with connection.wrap_database_errors:
        connection.ensure_connection()
        # A raw psycopg cursor: Django's would wrap and log each call. Outside
        # transaction.atomic the connection autocommits: the one statement is the transaction.
        with connection.connection.cursor() as cursor:
            cursor.execute(STORE_BATCH, (document,))
            return _stored(records, cursor.fetchone()[0])


class AsyncStore:
    """store_batch on the event loop, over a connection of its own.

    The webhook writer's path: handing each batch to a thread and back costs two
    thread switches per batch (docs/PERFORMANCE.md). A broken connection
    (PostgreSQL restarted) is dropped, and the next batch connects again.
    """

    def __init__(self):
        self._connection: psycopg.AsyncConnection | None = None

    async def store_batch(self, records) -> list:
        document = _document(records)
        with connection.wrap_database_errors:
            try:
                raw = await self._connected()
                cursor = await raw.execute(STORE_BATCH, (document,))
                row = await cursor.fetchone()
            except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError):
                await self.close()
                raise
        return _stored(records, row[0])

    async def _connected(self) -> psycopg.AsyncConnection:
        if self._connection is None or self._connection.closed:
            params = connection.get_connection_params()
            for sync_only in ("cursor_factory", "context"):
                params.pop(sync_only, None)
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                    self._connection = await psycopg.AsyncConnection.connect(**params, autocommit=True)
            except TimeoutError as exc:
                raise psycopg.OperationalError("connecting to PostgreSQL timed out") from exc
        return self._connection

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                await self._connection.close()
            self._connection = None

    def close_now(self) -> None:
        """Close without the event loop (it may have stopped): the socket only."""
        if self._connection is not None:
            self._connection.pgconn.finish()
            self._connection = None


def _stored(records, text: str) -> list:
    """The Stored results of a batch, from the function's answer."""
    result = fastjson.loads(text)
    deliveries = [
        _row(
            Delivery,
            {
                **delivery_fields(record),
                "id": row["id"],
                "reason": row["reason"],
                "event_count": row["events"],
            },
        )
        for record, row in zip(records, result["deliveries"], strict=True)
    ]
    events: list[list[Event]] = [[] for _ in records]
    conversations: dict[int, Conversation] = {}
    for row in result["events"]:
        i, record = row["i"], records[row["i"]]
        change = record.changes[row["j"]]
        conversation = _conversation(record, change, row, conversations)
        event = _row(
            Event,
            {
                "id": row["id"],
                "conversation_id": row["conversation"],
                "seq": row["seq"],
                "delivery_id": deliveries[i].pk,
                "account_id": record.account_id,
                "client_id": record.client_id,
                "notification_type": record.notification_type,
                "event_type": change.event_type[:64],
                "dialog_id": change.dialog_id[:128],
                "dedupe_key": change.dedupe_key,
                "payload": change.payload,
                "received_at": record.received_at,
            },
        )
        event._state.fields_cache.update(conversation=conversation, delivery=deliveries[i])
        events[i].append(event)
    return [Stored(delivery=d, events=new) for d, new in zip(deliveries, events, strict=True)]


# The rows the function stored are built the way the ORM builds rows it reads
# (Model.from_db: positional, in the model's field order), at less than half
# the cost of keyword construction: building them was ~6 % of daphne's CPU at
# full load (py-spy, bin/bench; docs/PERFORMANCE.md, 'What we learned').
_ATTNAMES = {
    model: [f.attname for f in model._meta.concrete_fields] for model in (Conversation, Delivery, Event)
}


def _row(model, values: dict):
    """A model instance for a stored row; fields not given are deferred (read on access)."""
    return model.from_db(None, _ATTNAMES[model], [values.get(name, DEFERRED) for name in _ATTNAMES[model]])


def _document(records) -> str:
    """The batch as webhooks_store_batch reads it."""
    batch = [
        {
            **delivery_fields(record),
            "received_at": record.received_at.isoformat(),
            "reason": str(record.reason),
            "changes": [
                {
                    "conversation_id": change.conversation_id,
                    "event_type": change.event_type[:64],
                    "dialog_id": change.dialog_id[:128],
                    "dedupe_key": change.dedupe_key,
                    "payload": change.payload,
                }
                for change in (record.changes if record.accepted else [])
            ],
        }
        for record in records
    ]
    # PostgreSQL's text and jsonb hold no NUL character, which JSON allows.
    return fastjson.dumps(batch).replace("\\u0000", "\\ufffd")


def _conversation(record, change, row: dict, conversations: dict) -> Conversation | None:
    """The event's conversation, one instance per pk in the batch."""
    pk = row["conversation"]
    if pk is None:
        return None
    if pk not in conversations:
        conversations[pk] = _row(
            Conversation,
            {"id": pk, "account_id": record.account_id, "conversation_id": change.conversation_id},
        )
    conversations[pk].last_seq = row["seq"]  # rows come in seq order
    return conversations[pk]
