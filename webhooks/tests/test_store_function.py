"""The database's webhooks_store_batch is the one in webhooks/sql/store_batch.sql."""

import pytest
from django.db import connection

from webhooks.store_postgresql import FUNCTION_SQL

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
