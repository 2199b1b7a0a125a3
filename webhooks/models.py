"""Every request to /notifications/event (Delivery), the conversations seen in
them, and each change of an accepted notification (Event), numbered per
conversation so that subscribers can notice and fill any gap."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from worker.models import Leased


class DeliveryQuerySet(models.QuerySet):
    def for_account(self, account_id: str):
        return self.filter(account_id=account_id)


class Delivery(models.Model):
    """One request that reached the webhook endpoint, accepted or rejected."""

    class Reason(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DUPLICATE = "duplicate", "Accepted: already stored (redelivery)"
        METHOD_NOT_ALLOWED = "method_not_allowed", "Method not allowed"
        TOO_LARGE = "too_large", "Body over the size limit"
        MISSING_HEADERS = "missing_headers", "Missing X-Liveperson-* headers"
        UNKNOWN_APP = "unknown_app", "Unknown app (client id and account not installed here)"
        BAD_SIGNATURE = "bad_signature", "Wrong signature"
        MALFORMED_JSON = "malformed_json", "Body is not JSON"
        NOT_A_NOTIFICATION = "not_a_notification", "Body is not a notification"
        TOO_DEEP = "too_deep", "Body nested too deeply"
        TOO_MANY_CHANGES = "too_many_changes", "More changes than one notification may carry"
        HELD = "held", "Held: app not known here yet (verified once it is)"

    received_at = models.DateTimeField(default=timezone.now)
    account_id = models.CharField(max_length=64, blank=True)
    client_id = models.CharField(max_length=128, blank=True)
    method = models.CharField(max_length=16, default="POST")
    status = models.PositiveSmallIntegerField()
    accepted = models.BooleanField()
    reason = models.CharField(max_length=32, choices=Reason.choices)
    # Why, in words, when the reason alone does not say (which limit, which field).
    detail = models.CharField(max_length=200, blank=True, default="", db_default="")
    # The sender's address (X-Forwarded-For from DJANGO_NUM_PROXIES trusted proxies).
    remote_address = models.CharField(max_length=45, blank=True, default="", db_default="")
    signature_algorithm = models.CharField(max_length=16, blank=True)
    signature_valid = models.BooleanField(null=True)
    headers = models.JSONField(default=dict)
    # The values `headers` masks (the app's custom headers may carry API keys), encrypted
    # (core.crypto), for the forwarder and replays to send them on: kept only with a whole
    # body (verified or held). webhooks.receiver.sealed_headers, docs/FORWARDING.md.
    sealed_headers = models.TextField(blank=True, default="", db_default="")
    body = models.TextField(blank=True)
    body_truncated = models.BooleanField(default=False)
    notification_type = models.CharField(max_length=64, blank=True)
    event_count = models.PositiveIntegerField(default=0)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["account_id", "-received_at"]),
            models.Index(fields=["account_id", "accepted", "-received_at"]),
            models.Index(fields=["-received_at"]),
            # The held requests of an app, oldest first, for the worker that releases them.
            models.Index(
                fields=["account_id", "client_id", "received_at"],
                condition=Q(reason="held"),
                name="webhooks_delivery_held",
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.status} {self.reason}"

    @property
    def verified(self) -> bool:
        """Whether the request proved it came from the account it names (a valid signature)."""
        return bool(self.signature_valid)


class ConversationQuerySet(models.QuerySet):
    def for_account(self, account_id: str):
        return self.filter(account_id=account_id)


class Conversation(models.Model):
    """A LivePerson conversation seen in webhook notifications."""

    account_id = models.CharField(max_length=64)
    conversation_id = models.CharField(max_length=128)
    client_id = models.CharField(max_length=128, blank=True, help_text="App of the latest event.")
    first_event_at = models.DateTimeField(default=timezone.now)
    last_event_at = models.DateTimeField(default=timezone.now)
    # The seq of this conversation's newest event: events are numbered 1, 2, 3...
    last_seq = models.BigIntegerField(default=0)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_id", "conversation_id"], name="webhooks_conversation_unique"
            )
        ]
        indexes = [models.Index(fields=["account_id", "-last_event_at"])]

    def __str__(self):
        return self.conversation_id

    @property
    def group_name(self) -> str:
        return self.group_name_of(self.pk)

    @staticmethod
    def group_name_of(pk: int) -> str:
        """The channel-layer group of a conversation's live subscribers."""
        return f"conversation_{pk}"


def account_group_name(account_id: str) -> str:
    """The channel-layer group of an account's live deliveries (the events page)."""
    return f"account_{account_id}_deliveries"


class EventQuerySet(models.QuerySet):
    def for_account(self, account_id: str):
        return self.filter(account_id=account_id)


class Event(models.Model):
    """One change of an accepted notification, in its conversation's order."""

    # No index of its own: the unique (conversation, seq) index starts with it,
    # and a second one cost every stored event one more index insertion.
    conversation = models.ForeignKey(
        Conversation, null=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    seq = models.BigIntegerField(null=True, help_text="Position in the conversation: 1, 2, 3...")
    delivery = models.ForeignKey(Delivery, null=True, on_delete=models.SET_NULL, related_name="events")
    account_id = models.CharField(max_length=64)
    client_id = models.CharField(max_length=128)
    notification_type = models.CharField(max_length=64)
    event_type = models.CharField(
        max_length=64, help_text="ContentEvent, AcceptStatusEvent..., or UPSERT/DELETE"
    )
    dialog_id = models.CharField(max_length=128, blank=True)
    # LivePerson's identity of the change, when it has one: redeliveries share it.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no identity
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="webhooks_event_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="webhooks_event_unique_dedupe",
            ),
        ]
        indexes = [
            models.Index(fields=["account_id", "-received_at"]),
            models.Index(fields=["account_id", "event_type", "-received_at"]),
        ]

    def __str__(self):
        return f"{self.event_type} #{self.seq}"

    def as_message(self) -> dict:
        """What a WebSocket subscriber receives for this event."""
        return {
            "id": self.pk,
            "seq": self.seq,
            "conversation": self.conversation_id,
            "delivery": self.delivery_id,
            "notification_type": self.notification_type,
            "event_type": self.event_type,
            "received_at": self.received_at.isoformat(),
            "payload": self.payload,
        }


class PendingBroadcast(Leased):
    """A group message the channel layer refused (Redis down, timeout), kept for
    the worker to send again (webhooks.broadcasts). Written only when a
    broadcast fails, never on the way of a successful one."""

    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # Either a conversation's events seq from_seq..to_seq (read again from the
    # database when sent), or an account's deliveries.
    conversation_pk = models.BigIntegerField(null=True, blank=True)
    from_seq = models.BigIntegerField(null=True, blank=True)
    to_seq = models.BigIntegerField(null=True, blank=True)
    account_id = models.CharField(max_length=64, blank=True)
    delivery_ids = models.JSONField(default=list, blank=True)

    def __str__(self):
        if self.conversation_pk is not None:
            return f"conversation {self.conversation_pk} #{self.from_seq}-{self.to_seq}"
        return f"account {self.account_id}: {len(self.delivery_ids)} deliveries"
