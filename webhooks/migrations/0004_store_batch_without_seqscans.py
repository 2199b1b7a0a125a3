"""Install webhooks_store_batch again: it now runs without sequential scans
(webhooks/sql/store_batch.sql says why)."""

from django.db import migrations

from webhooks.migrations import _store_batch


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_store_batch_function")]

    operations = [migrations.RunPython(_store_batch.install, migrations.RunPython.noop, elidable=False)]
