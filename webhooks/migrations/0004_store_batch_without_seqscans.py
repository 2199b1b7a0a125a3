"""Install webhooks_store_batch again, now without sequential scans (frozen here;
its reverse installs 0003's version)."""

import importlib

from django.db import migrations

from webhooks.migrations import _store_batch

PREVIOUS = importlib.import_module("webhooks.migrations.0003_store_batch_function")
FUNCTION_SQL = r"""-- webhooks_store_batch(batch jsonb): store one batch of webhook deliveries, and
-- the new events of the accepted ones, in the calling statement's transaction.
--
-- The rules are those of webhooks.ingest.store_batch_orm; doing them here makes
-- a batch one statement and one round trip, its parameters one JSON document
-- (encoded in C by json.dumps), where the statement-per-step version cost five
-- round trips' worth of waiting and ~1.7 ms of client CPU for a single webhook.
--
-- batch: [{"received_at", "account_id", "client_id", "method", "status",
--          "accepted", "reason", "signature_algorithm", "signature_valid",
--          "headers", "body", "body_truncated", "notification_type",
--          "changes": [{"conversation_id", "event_type", "dialog_id",
--                       "dedupe_key", "payload"}]}]
-- returns {"deliveries": [{"id", "reason", "events"}] in batch order,
--          "events": [{"i", "j", "id", "conversation", "seq"}]}: the new events,
--          i and j the indexes of their record and change.
--
-- Every table access here is by key. The planner sees the batch as 100 rows of
-- jsonb_array_elements whatever its size, and while webhooks_conversation was
-- small (or bloated by these very updates) it planned step 5 as a hash join
-- over a sequential scan of the whole table: 0.37 of a lone webhook's ~0.8 ms,
-- and growing with every conversation kept. Without sequential scans it is
-- an index probe per conversation (0.04 ms), at any table size.
CREATE OR REPLACE FUNCTION webhooks_store_batch(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
    locked jsonb;
    numbered jsonb;
    deliveries jsonb;
BEGIN
    -- 1. Create the batch's missing conversations and lock them all until commit,
    -- in a fixed order so that concurrent writers cannot deadlock (the DO UPDATE
    -- is a no-op that takes the row lock and returns the current last_seq).
    WITH keys AS (
        SELECT DISTINCT r->>'account_id' AS account_id, c->>'conversation_id' AS conversation_id
        FROM jsonb_array_elements(batch) AS r, jsonb_array_elements(r->'changes') AS c
        WHERE (r->>'accepted')::boolean AND c->>'conversation_id' <> ''
    ), rows AS (
        INSERT INTO webhooks_conversation
            (account_id, conversation_id, client_id, first_event_at, last_event_at, last_seq)
        SELECT account_id, conversation_id, '', now(), now(), 0 FROM keys
        ORDER BY account_id, conversation_id
        ON CONFLICT (account_id, conversation_id)
        DO UPDATE SET last_event_at = webhooks_conversation.last_event_at
        RETURNING id, account_id, conversation_id, last_seq
    )
    SELECT coalesce(jsonb_agg(rows), '[]') INTO locked FROM rows;

    -- 2. Number the new events per conversation. This statement's snapshot is
    -- taken after the locks, so it sees every event another writer committed for
    -- these conversations: a change already stored (a redelivery), or seen earlier
    -- in this batch, is dropped. Changes naming no conversation are kept, unnumbered.
    WITH changes AS (
        SELECT (r.o - 1)::int AS i, (c.o - 1)::int AS j, r.v->>'account_id' AS account_id,
               c.v->>'conversation_id' AS conversation_id, c.v->>'dedupe_key' AS dedupe_key
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS r(v, o),
             jsonb_array_elements(r.v->'changes') WITH ORDINALITY AS c(v, o)
        WHERE (r.v->>'accepted')::boolean
    ), attributed AS (
        SELECT ch.i, ch.j, ch.dedupe_key, l.id AS conversation, l.last_seq,
               row_number() OVER (PARTITION BY l.id, ch.dedupe_key ORDER BY ch.i, ch.j) AS nth
        FROM changes AS ch
        LEFT JOIN jsonb_to_recordset(locked)
            AS l(id bigint, account_id text, conversation_id text, last_seq bigint)
            ON l.account_id = ch.account_id AND l.conversation_id = ch.conversation_id
    ), kept AS (
        -- LATERAL ... LIMIT 1: one index probe per change (a NOT EXISTS was
        -- planned as a hash of the whole event table).
        SELECT a.i, a.j, a.conversation, a.last_seq FROM attributed AS a
        LEFT JOIN LATERAL (
            SELECT 1 AS found FROM webhooks_event AS e
            WHERE e.conversation_id = a.conversation AND e.dedupe_key = a.dedupe_key
            LIMIT 1
        ) AS stored ON true
        WHERE a.conversation IS NULL OR a.dedupe_key IS NULL OR (a.nth = 1 AND stored.found IS NULL)
    ), sequenced AS (
        SELECT i, j, conversation,
               CASE WHEN conversation IS NOT NULL
                    THEN last_seq + row_number() OVER (PARTITION BY conversation ORDER BY i, j) END AS seq
        FROM kept
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'i', i, 'j', j, 'conversation', conversation, 'seq', seq,
               'id', nextval(pg_get_serial_sequence('webhooks_event', 'id'))) ORDER BY i, j), '[]')
    INTO numbered FROM sequenced;

    -- 3. The deliveries, each with its count of new events; an accepted delivery
    -- whose changes were all stored already is a duplicate.
    WITH counts AS (
        SELECT (n->>'i')::int AS i, count(*)::int AS events
        FROM jsonb_array_elements(numbered) AS n GROUP BY 1
    ), records AS MATERIALIZED (
        SELECT (r.o - 1)::int AS i, r.v,
               nextval(pg_get_serial_sequence('webhooks_delivery', 'id')) AS id,
               coalesce(counts.events, 0) AS events,
               CASE WHEN (r.v->>'accepted')::boolean AND jsonb_array_length(r.v->'changes') > 0
                         AND counts.events IS NULL
                    THEN 'duplicate' ELSE r.v->>'reason' END AS reason
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS r(v, o)
        LEFT JOIN counts ON counts.i = (r.o - 1)::int
    ), inserted AS (
        INSERT INTO webhooks_delivery
            (id, received_at, account_id, client_id, method, status, accepted, reason,
             signature_algorithm, signature_valid, headers, body, body_truncated,
             notification_type, event_count)
        SELECT id, (v->>'received_at')::timestamptz, v->>'account_id', v->>'client_id', v->>'method',
               (v->>'status')::int, (v->>'accepted')::boolean, reason, v->>'signature_algorithm',
               (v->>'signature_valid')::boolean, v->'headers', v->>'body',
               (v->>'body_truncated')::boolean, v->>'notification_type', events
        FROM records
    )
    SELECT jsonb_agg(jsonb_build_object('id', id, 'reason', reason, 'events', events) ORDER BY i)
    INTO deliveries FROM records;

    -- 4. The events, under the ids and numbers given in step 2.
    INSERT INTO webhooks_event
        (id, conversation_id, seq, delivery_id, account_id, client_id, notification_type,
         event_type, dialog_id, dedupe_key, payload, received_at)
    SELECT (n->>'id')::bigint, (n->>'conversation')::bigint, (n->>'seq')::bigint,
           (deliveries->((n->>'i')::int)->>'id')::bigint,
           r->>'account_id', r->>'client_id', r->>'notification_type',
           c->>'event_type', c->>'dialog_id', c->>'dedupe_key', c->'payload',
           (r->>'received_at')::timestamptz
    FROM jsonb_array_elements(numbered) AS n,
         LATERAL (SELECT batch->((n->>'i')::int) AS r) AS record,
         LATERAL (SELECT record.r->'changes'->((n->>'j')::int) AS c) AS change;

    -- 5. Each conversation that got events: its newest number, time and app.
    UPDATE webhooks_conversation AS conv
    SET last_seq = u.seq, last_event_at = u.received_at, client_id = u.client_id
    FROM (
        SELECT DISTINCT ON ((n->>'conversation')::bigint)
               (n->>'conversation')::bigint AS conversation, (n->>'seq')::bigint AS seq,
               (batch->((n->>'i')::int)->>'received_at')::timestamptz AS received_at,
               batch->((n->>'i')::int)->>'client_id' AS client_id
        FROM jsonb_array_elements(numbered) AS n
        WHERE n->>'conversation' IS NOT NULL
        ORDER BY (n->>'conversation')::bigint, (n->>'seq')::bigint DESC
    ) AS u
    WHERE conv.id = u.conversation;

    RETURN jsonb_build_object('deliveries', deliveries, 'events', numbered);
END;
$fn$;
"""


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_store_batch_function")]

    operations = [
        migrations.RunPython(_store_batch.installer(FUNCTION_SQL), _store_batch.installer(PREVIOUS.FUNCTION_SQL), elidable=False)
    ]
