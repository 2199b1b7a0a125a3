from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class InstallationQuerySet(models.QuerySet):
    def for_account(self, account_id: str):
        return self.filter(account_id=account_id)

    def installed(self):
        return self.filter(deleted_at__isnull=True)


class Installation(models.Model):
    """What this deployment has seen of one LivePerson app installation.

    Updated on every list, get, create, update and delete, so that the webhook
    receiver can verify signatures with the app's client secret, which is
    stored encrypted (EncryptedTextField).
    """

    account_id = models.CharField(max_length=64)
    client_id = models.CharField(max_length=128)
    name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    scope = models.CharField(max_length=64, blank=True)
    enabled = models.BooleanField(default=False)
    endpoints = models.JSONField(default=dict, help_text="Event type to webhook endpoint.")
    endpoints_before_demo = models.JSONField(
        default=dict,
        blank=True,
        help_text="Event type to {endpoint, max_retries} before 'Switch to demo mode', to restore them.",
    )
    client_secret = EncryptedTextField(db_column="client_secret_encrypted", blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "client_id"], name="apps_admin_installation_unique")
        ]
        indexes = [models.Index(fields=["client_id"])]

    def __str__(self):
        return f"{self.name} ({self.client_id})"
