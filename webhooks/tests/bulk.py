"""Many webhook rows at once, in one SQL statement (PostgreSQL): the cleanup's large-table tests."""

from datetime import datetime

from django.db import connection, transaction

from webhooks.tests.factories import ACCOUNT, CLIENT_ID

INSERT_CONVERSATIONS = """
WITH conversations AS (
    INSERT INTO webhooks_conversation
        (account_id, conversation_id, client_id, first_event_at, last_event_at, last_seq)
    SELECT %(account)s, %(prefix)s || '-' || g, %(client)s, %(at)s, %(at)s, %(each)s
    FROM generate_series(1, %(count)s) AS g
    RETURNING id
), deliveries AS (
    INSERT INTO webhooks_delivery
        (received_at, account_id, client_id, method, status, accepted, reason, signature_algorithm,
         signature_valid, headers, body, body_truncated, notification_type, event_count)
    SELECT %(at)s, %(account)s, %(client)s, 'POST', 200, true, 'accepted', 'sha1', true, '{}', '{}',
        false, 'ms.MessagingEventNotification', %(each)s
    FROM conversations
    RETURNING id
)
INSERT INTO webhooks_event
    (conversation_id, seq, delivery_id, account_id, client_id, notification_type, event_type,
     dialog_id, dedupe_key, payload, received_at)
SELECT c.id, s, d.id, %(account)s, %(client)s, 'ms.MessagingEventNotification', 'ContentEvent',
    '', NULL, '{"event": {"type": "ContentEvent", "message": "hello"}}', %(at)s
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM conversations) AS c
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM deliveries) AS d USING (n)
CROSS JOIN generate_series(1, %(each)s) AS s
"""


def conversations(
    count: int,
    *,
    events_each: int,
    at: datetime,
    prefix: str = "bulk",
    account_id=ACCOUNT,
    client_id=CLIENT_ID,
) -> None:
    """`count` conversations, each with one delivery of `events_each` events, all received `at`."""
    params = {
        "account": account_id,
        "client": client_id,
        "prefix": prefix,
        "at": at,
        "each": events_each,
        "count": count,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # The rows are consistent by construction: skipping the per-row
            # foreign key checks loads 200,000 events in ~3 s instead of ~10 s.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(INSERT_CONVERSATIONS, params)
