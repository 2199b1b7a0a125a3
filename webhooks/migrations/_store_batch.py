"""Installing webhooks_store_batch, for the migrations.

Each migration that installs the function carries its own frozen copy of the
SQL, so re-running an old migration installs what it installed then, whatever
webhooks/sql/store_batch.sql says today. The file is the readable source of
the newest version; webhooks/tests/test_store_function.py fails until a new
migration installs the file's text. (Migrations skip modules named with `_`.)
"""


def installer(sql: str):
    """A RunPython function installing this version of the function on PostgreSQL."""

    def install(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return install


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS webhooks_store_batch(jsonb)")
