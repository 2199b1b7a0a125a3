"""The tokens become EncryptedTextFields over the same columns: model state only."""

from django.db import migrations

import core.fields


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField("chatconversation", "consumer_jws_encrypted", "consumer_jws"),
                migrations.AlterField(
                    "chatconversation",
                    "consumer_jws",
                    core.fields.EncryptedTextField(db_column="consumer_jws_encrypted"),
                ),
                migrations.RenameField("apptoken", "token_encrypted", "token"),
                migrations.AlterField(
                    "apptoken",
                    "token",
                    core.fields.EncryptedTextField(db_column="token_encrypted"),
                ),
            ],
        ),
    ]
