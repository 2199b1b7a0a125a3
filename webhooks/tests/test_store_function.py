"""The database's webhooks_store_batch is the one in webhooks/sql/store_batch.sql,
plans no sequential scan, and is prepared only where the settings allow."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from webhooks import payloads, records, store_postgresql
from webhooks.store_postgresql import FUNCTION_SQL
from webhooks.tests.conftest import accepted_record

pytestmark = pytest.mark.django_db


def test_the_installed_function_is_the_files():
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'webhooks_store_batch'")
        (installed,) = cursor.fetchone()

    body = FUNCTION_SQL.read_text().split("$fn$")[1]
    assert installed == body, "webhooks/sql/store_batch.sql changed: add a migration that installs it again"


def test_it_runs_without_sequential_scans():
    # Its lookups are all by key; a sequential scan grew with the conversation table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'webhooks_store_batch'")
        (config,) = cursor.fetchone()

    assert config == ["enable_seqscan=off"]


def _batch(first_sequence: int, conversations: int) -> list[records.DeliveryRecord]:
    return [
        accepted_record(payloads.messaging(payloads.content(first_sequence, conversation=f"conv-{n}")))
        for n in range(conversations)
    ]


def _plans_of(call) -> list[str]:
    """The plan of every statement `call` runs, nested ones included (auto_explain)."""
    notices = []
    connection.ensure_connection()
    raw = connection.connection
    raw.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    with raw.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
            cursor.execute(f"SET auto_explain.{setting}")
    try:
        call()
    finally:
        with raw.cursor() as cursor:
            cursor.execute("SET auto_explain.log_min_duration = -1")
    return [notice for notice in notices if "Query Text" in notice or "Plan" in notice or "->" in notice]


def test_its_statements_are_planned_without_sequential_scans():
    # Small tables: exactly where the planner would rather scan (the conversation
    # table, bloated by updates, made that a scan per webhook).
    store_postgresql.store_batch(_batch(1, conversations=5))

    plans = _plans_of(lambda: store_postgresql.store_batch(_batch(2, conversations=5)))

    assert any("webhooks_event" in plan for plan in plans), "auto_explain showed no plan of the function"
    assert [plan for plan in plans if "Seq Scan on webhooks_" in plan] == []


@pytest.mark.django_db(transaction=True)  # a fresh connection: nothing prepared on it yet
async def test_no_statement_is_prepared_so_a_transaction_pooler_works():
    # PgBouncer in transaction mode may run the next transaction on another
    # server connection, where a prepared statement does not exist.
    store = store_postgresql.AsyncStore()
    try:
        for first in (1, 2, 3, 4, 5, 6):  # psycopg would prepare after 5 runs if it could
            await store.store_batch(await sync_to_async(_batch)(first, conversations=1))
        raw = await store._connected()
        cursor = await raw.execute("SELECT count(*) FROM pg_prepared_statements")
        assert (await cursor.fetchone())[0] == 0
    finally:
        await store.close()
