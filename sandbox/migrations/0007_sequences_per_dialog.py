from django.db import migrations, models
from django.db.models import Max


def number_existing_dialogs(apps, schema_editor):
    """Dialogs that existed keep going from the last sequence stored in them."""
    Dialog = apps.get_model("sandbox", "Dialog")
    for dialog in Dialog.objects.annotate(last=Max("events__sequence")).filter(last__isnull=False):
        Dialog.objects.filter(pk=dialog.pk).update(last_sequence=dialog.last)


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0006_notification_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="sequence_scope",
            field=models.CharField(
                choices=[("dialog", "Per dialog, from 0"), ("conversation", "One numbering per conversation")],
                default="dialog",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="dialog",
            name="last_sequence",
            field=models.IntegerField(default=-1),
        ),
        migrations.RunPython(number_existing_dialogs, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="messagingconversation",
            name="last_sequence",
        ),
    ]
