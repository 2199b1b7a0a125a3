"""The webhook batch transaction in plain SQL, for PostgreSQL.

Same result as `ingest.store_batch_orm`, but each step is one statement over
arrays (unnest) with server-side parameters: measured on these machines, the
ORM spends ~5 ms of CPU building a batch's queries, and psycopg's
client-side quoting of arrays dominates large batches. Here a batch is two
round trips (~180 us each on these VMs): BEGIN, lock and deliveries; then
events, updates and COMMIT.
"""

import json

import psycopg
from django.db import connection

from webhooks.models import Conversation, Delivery, Event

# Creates missing conversations and locks them all until commit, in a fixed
# order (the DO UPDATE is a no-op that takes the row lock), and returns which of
# the batch's dedupe keys each one has stored already: one round trip.
LOCK_CONVERSATIONS = """
WITH locked AS (
    INSERT INTO webhooks_conversation
        (account_id, conversation_id, client_id, first_event_at, last_event_at, last_seq)
    SELECT a, c, '', now(), now(), 0 FROM unnest(%b::text[], %b::text[]) AS t(a, c)
    ORDER BY a, c
    ON CONFLICT (account_id, conversation_id)
    DO UPDATE SET last_event_at = webhooks_conversation.last_event_at
    RETURNING id, account_id, conversation_id, last_seq
)
SELECT l.id, l.account_id, l.conversation_id, l.last_seq, e.dedupe_key
FROM locked AS l
LEFT JOIN webhooks_event AS e ON e.conversation_id = l.id AND e.dedupe_key = ANY(%b::text[])
"""

INSERT_DELIVERIES = """
INSERT INTO webhooks_delivery
    (received_at, account_id, client_id, method, status, accepted, reason, signature_algorithm,
     signature_valid, headers, body, body_truncated, notification_type, event_count)
SELECT * FROM unnest(%b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::int[], %b::bool[],
    %b::text[], %b::text[], %b::bool[], %b::jsonb[], %b::text[], %b::bool[], %b::text[], %b::int[])
RETURNING id
"""

INSERT_EVENTS = """
INSERT INTO webhooks_event
    (conversation_id, seq, delivery_id, account_id, client_id, notification_type, event_type,
     dialog_id, dedupe_key, payload, received_at)
SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], %b::text[], %b::text[], %b::text[],
    %b::text[], %b::text[], %b::text[], %b::jsonb[], %b::timestamptz[])
RETURNING id
"""

UPDATE_DELIVERIES = """
UPDATE webhooks_delivery AS d SET reason = v.reason, event_count = v.events
FROM unnest(%b::bigint[], %b::text[], %b::int[]) AS v(id, reason, events)
WHERE d.id = v.id
"""

UPDATE_CONVERSATIONS = """
UPDATE webhooks_conversation AS c SET last_seq = v.seq, last_event_at = v.at, client_id = v.client
FROM unnest(%b::bigint[], %b::bigint[], %b::timestamptz[], %b::text[]) AS v(id, seq, at, client)
WHERE c.id = v.id
"""


def store_batch(records) -> list:
    """One transaction for the whole batch; see ingest.store_batch_orm for the rules."""
    # psycopg's own errors (PostgreSQL restarted: "the connection is closed")
    # become Django's DatabaseError, which the writer answers with 503 and a new
    # connection; raw, they escaped it, and every later batch failed the same way.
    with connection.wrap_database_errors:
        return _store_batch(records)


def _store_batch(records) -> list:
    from webhooks.ingest import Stored, decide_delivery

    connection.ensure_connection()
    raw = connection.connection
    # psycopg.Cursor binds parameters server-side (Django's cursors quote them
    # client-side, which is slow for arrays); %b sends them in binary. Pipeline
    # mode sends statements without waiting: the batch costs two round trips.
    cursors = [psycopg.Cursor(raw) for _ in range(6)]
    begin, lock, insert_deliveries, insert_events, updates, commit = cursors
    try:
        with raw.pipeline():
            begin.execute("BEGIN")
            conversation_keys = _conversation_keys(lock, records)
            deliveries = [decide_delivery(record, {}, set())[0] for record in records]
            _insert_deliveries(insert_deliveries, deliveries)
            conversations, known = _locked(lock, conversation_keys)  # waits: round trip 1
            for delivery, (pk,) in zip(deliveries, insert_deliveries.fetchall(), strict=True):
                delivery.pk = pk
            decided = [decide_delivery(record, conversations, known) for record in records]
            events = []
            for delivery, (final, new) in zip(deliveries, decided, strict=True):
                delivery.reason, delivery.event_count = final.reason, final.event_count
                for event in new:
                    event.delivery_id = delivery.pk
                events.extend(new)
            _insert_events(insert_events, events)
            _update_conversations(updates, conversations.values())
            _update_deliveries(updates, [d for d in deliveries if d.event_count or d.reason == "duplicate"])
            commit.execute("COMMIT")
        if events:  # round trip 2 ended with the pipeline
            for event, (pk,) in zip(events, insert_events.fetchall(), strict=True):
                event.pk = pk
    finally:
        for cursor in cursors:
            cursor.close()
    return [Stored(delivery=d, events=new) for d, (_, new) in zip(deliveries, decided, strict=True)]


def _conversation_keys(cursor, records) -> list[tuple[str, str]]:
    """Send the lock of the batch's conversations (results read by `_locked`)."""
    keys = sorted(
        {
            (record.account_id, change.conversation_id)
            for record in records
            if record.accepted
            for change in record.changes
            if change.conversation_id
        }
    )
    if keys:
        dedupe_keys = sorted(
            {c.dedupe_key for record in records if record.accepted for c in record.changes if c.dedupe_key}
        )
        _execute(cursor, LOCK_CONVERSATIONS, ([a for a, _ in keys], [c for _, c in keys], dedupe_keys))
    return keys


def _locked(cursor, keys) -> tuple[dict, set]:
    """The batch's conversations, locked, and the (conversation, dedupe key) pairs stored."""
    conversations, known = {}, set()
    if not keys:
        return conversations, known
    for pk, account_id, conversation_id, last_seq, stored_key in cursor.fetchall():
        conversations[(account_id, conversation_id)] = Conversation(
            pk=pk, account_id=account_id, conversation_id=conversation_id, last_seq=last_seq
        )
        if stored_key is not None:
            known.add((pk, stored_key))
    return conversations, known


def _insert_deliveries(cursor, deliveries: list[Delivery]) -> None:
    columns = [
        [d.received_at for d in deliveries],
        [d.account_id for d in deliveries],
        [d.client_id for d in deliveries],
        [d.method for d in deliveries],
        [d.status for d in deliveries],
        [d.accepted for d in deliveries],
        [str(d.reason) for d in deliveries],
        [d.signature_algorithm for d in deliveries],
        [d.signature_valid for d in deliveries],
        [_jsonb(d.headers) for d in deliveries],
        [d.body.replace("\x00", "\ufffd") for d in deliveries],  # PostgreSQL text holds no NUL
        [d.body_truncated for d in deliveries],
        [d.notification_type for d in deliveries],
        [d.event_count for d in deliveries],
    ]
    _execute(cursor, INSERT_DELIVERIES, columns)


def _insert_events(cursor, events: list[Event]) -> None:
    if not events:
        return
    columns = [
        [e.conversation_id for e in events],
        [e.seq for e in events],
        [e.delivery_id for e in events],
        [e.account_id for e in events],
        [e.client_id for e in events],
        [e.notification_type for e in events],
        [e.event_type for e in events],
        [e.dialog_id for e in events],
        [e.dedupe_key for e in events],
        [_jsonb(e.payload) for e in events],
        [e.received_at for e in events],
    ]
    _execute(cursor, INSERT_EVENTS, columns)


def _execute(cursor, statement: str, params) -> None:
    # Prepared on the server once per pooled connection: Django turns psycopg's
    # automatic preparing off, and planning these statements costs ~3 ms each.
    cursor.execute(statement, params, prepare=True)


def _update_deliveries(cursor, deliveries: list[Delivery]) -> None:
    """Set what only the locked conversations could tell: new events, or a redelivery."""
    if deliveries:
        _execute(
            cursor,
            UPDATE_DELIVERIES,
            (
                [d.pk for d in deliveries],
                [str(d.reason) for d in deliveries],
                [d.event_count for d in deliveries],
            ),
        )


def _jsonb(value) -> str:
    """JSON text jsonb accepts: it refuses the NUL character, which JSON allows."""
    return json.dumps(value).replace("\\u0000", "\\ufffd")


def _update_conversations(cursor, conversations) -> None:
    changed = [c for c in conversations if c.client_id]  # only those that got events
    if not changed:
        return
    _execute(
        cursor,
        UPDATE_CONVERSATIONS,
        (
            [c.pk for c in changed],
            [c.last_seq for c in changed],
            [c.last_event_at for c in changed],
            [c.client_id for c in changed],
        ),
    )
