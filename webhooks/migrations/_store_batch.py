"""Installing webhooks_store_batch (webhooks/sql/store_batch.sql), for the migrations.

The function is read from that file, so every migration that installs it
installs its newest version. Changing the file needs a new migration that runs
`install` again; webhooks/tests/test_store_function.py fails until the
database's copy matches the file. (Migrations skip modules named with `_`.)
"""

from webhooks.store_postgresql import FUNCTION_SQL


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL.read_text())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS webhooks_store_batch(jsonb)")
