"""Install webhooks_store_batch (webhooks/sql/store_batch.sql) on PostgreSQL.

The function is read from that file. Changing the file needs a new migration
that runs `install_store_batch` again; webhooks/tests/test_store_function.py
fails until the database's copy matches the file.
"""

from django.db import migrations

from webhooks.store_postgresql import FUNCTION_SQL


def install_store_batch(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL.read_text())


def drop_store_batch(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS webhooks_store_batch(jsonb)")


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_pendingbroadcast")]

    operations = [migrations.RunPython(install_store_batch, drop_store_batch, elidable=False)]
