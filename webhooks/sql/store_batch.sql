-- webhooks_store_batch(batch jsonb): store one batch of webhook deliveries, and
-- the new events of the accepted ones, in the calling statement's transaction.
--
-- The rules are those of webhooks.store.store_batch_orm; doing them here makes
-- a batch one statement and one round trip, its parameters one JSON document
-- (docs/PERFORMANCE.md, "What we learned").
--
-- batch: [{"received_at", "account_id", "client_id", "method", "status",
--          "accepted", "reason", "detail", "remote_address", "signature_algorithm",
--          "signature_valid", "headers", "sealed_headers", "body", "body_truncated",
--          "notification_type",
--          "changes": [{"conversation_id", "event_type", "dialog_id",
--                       "dedupe_key", "payload"}]}]
-- returns {"deliveries": [{"id", "reason", "events"}] in batch order,
--          "events": [{"i", "j", "id", "conversation", "seq"}]}: the new events,
--          i and j the indexes of their record and change.
--
-- Every table access here is by key. The planner sees the batch as 100 rows of
-- jsonb_array_elements whatever its size, and while webhooks_conversation was
-- small (or bloated by these very updates) it planned step 5 as a hash join
-- over a sequential scan of the whole table, growing with every conversation
-- kept. Without sequential scans it is an index probe per conversation.
--
-- The work is linear in the number of changes: the batch is only ever walked
-- with jsonb_array_elements and joined on (i, j). Reaching into it by index per
-- change (batch->i) copies record i whole each time, which made one delivery of
-- 10,000 changes cost minutes.
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
            (id, received_at, account_id, client_id, method, status, accepted, reason, detail,
             remote_address, signature_algorithm, signature_valid, headers, sealed_headers, body,
             body_truncated, notification_type, event_count)
        SELECT id, (v->>'received_at')::timestamptz, v->>'account_id', v->>'client_id', v->>'method',
               (v->>'status')::int, (v->>'accepted')::boolean, reason, v->>'detail',
               v->>'remote_address', v->>'signature_algorithm',
               (v->>'signature_valid')::boolean, v->'headers', coalesce(v->>'sealed_headers', ''), v->>'body',
               (v->>'body_truncated')::boolean, v->>'notification_type', events
        FROM records
    )
    SELECT jsonb_agg(jsonb_build_object('id', id, 'reason', reason, 'events', events) ORDER BY i)
    INTO deliveries FROM records;

    -- 4. The events, under the ids and numbers given in step 2.
    -- Both sides MATERIALIZED: planned inline, the changes of a record were
    -- walked again for every event (a nested loop over i, filtered on j).
    WITH numbers AS MATERIALIZED (
        SELECT (n->>'i')::int AS i, (n->>'j')::int AS j, (n->>'id')::bigint AS id,
               (n->>'conversation')::bigint AS conversation, (n->>'seq')::bigint AS seq
        FROM jsonb_array_elements(numbered) AS n
    ), changes AS MATERIALIZED (
        -- Only the fields each event needs: never the record itself, which holds every change.
        SELECT (r.o - 1)::int AS i, (c.o - 1)::int AS j,
               r.v->>'account_id' AS account_id, r.v->>'client_id' AS client_id,
               r.v->>'notification_type' AS notification_type,
               (r.v->>'received_at')::timestamptz AS received_at,
               c.v->>'event_type' AS event_type, c.v->>'dialog_id' AS dialog_id,
               c.v->>'dedupe_key' AS dedupe_key, c.v->'payload' AS payload
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS r(v, o),
             jsonb_array_elements(r.v->'changes') WITH ORDINALITY AS c(v, o)
        WHERE (r.v->>'accepted')::boolean
    )
    INSERT INTO webhooks_event
        (id, conversation_id, seq, delivery_id, account_id, client_id, notification_type,
         event_type, dialog_id, dedupe_key, payload, received_at)
    SELECT n.id, n.conversation, n.seq, (deliveries->n.i->>'id')::bigint,
           ch.account_id, ch.client_id, ch.notification_type,
           ch.event_type, ch.dialog_id, ch.dedupe_key, ch.payload, ch.received_at
    FROM numbers AS n JOIN changes AS ch ON ch.i = n.i AND ch.j = n.j;

    -- 5. Each conversation that got events: its newest number, time and app.
    UPDATE webhooks_conversation AS conv
    SET last_seq = u.seq, last_event_at = u.received_at, client_id = u.client_id
    FROM (
        SELECT DISTINCT ON (n.conversation) n.conversation, n.seq, r.received_at, r.client_id
        FROM (
            SELECT (n->>'i')::int AS i, (n->>'conversation')::bigint AS conversation,
                   (n->>'seq')::bigint AS seq
            FROM jsonb_array_elements(numbered) AS n
            WHERE n->>'conversation' IS NOT NULL
        ) AS n
        JOIN (
            SELECT (r.o - 1)::int AS i, (r.v->>'received_at')::timestamptz AS received_at,
                   r.v->>'client_id' AS client_id
            FROM jsonb_array_elements(batch) WITH ORDINALITY AS r(v, o)
        ) AS r ON r.i = n.i
        ORDER BY n.conversation, n.seq DESC
    ) AS u
    WHERE conv.id = u.conversation;

    RETURN jsonb_build_object('deliveries', deliveries, 'events', numbered);
END;
$fn$;
