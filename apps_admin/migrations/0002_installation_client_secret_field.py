"""The client secret becomes an EncryptedTextField over the same column: model state only."""

from django.db import migrations

import core.fields


class Migration(migrations.Migration):
    dependencies = [("apps_admin", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField("installation", "client_secret_encrypted", "client_secret"),
                migrations.AlterField(
                    "installation",
                    "client_secret",
                    core.fields.EncryptedTextField(blank=True, db_column="client_secret_encrypted"),
                ),
            ],
        ),
    ]
