"""Install webhooks_store_batch (webhooks/sql/store_batch.sql) on PostgreSQL."""

from django.db import migrations

from webhooks.migrations import _store_batch


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_pendingbroadcast")]

    operations = [migrations.RunPython(_store_batch.install, _store_batch.drop, elidable=False)]
