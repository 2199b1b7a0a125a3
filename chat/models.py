"""The demo connector's data: the consumer conversations people open from an app,
the AppJWT each app shares across processes, and every LivePerson request made
for a conversation (the requests console).

Tokens are stored encrypted (EncryptedTextField), like app client secrets.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class ChatConversationQuerySet(models.QuerySet):
    def for_account(self, account_id: str):
        return self.filter(account_id=account_id)


class ChatConversation(models.Model):
    """A conversation the demo connector opened as a consumer
    (docs/LIVEPERSON.md, 'Send API: CONVERSATION').

    `state` follows the MAIN dialog and `stage` the whole conversation
    (docs/LIVEPERSON.md, 'Post-conversation survey'): with a survey, state is
    CLOSE while stage is still OPEN. `dialog_id` is the dialog the consumer talks
    to: MAIN, then POST_SURVEY once it opens.
    `ext_consumer_id` is the same for a user and app (chat.starting.consumer_id): the
    user returns as the same consumer, who may have one open conversation at a time;
    it is kept, with its ConsumerJWS, so that any tab or process can keep talking as
    the same consumer.
    """

    class Ttr(models.TextChoices):
        DEFAULT = "", "Default"
        NORMAL = "NORMAL"
        URGENT = "URGENT"
        PRIORITIZED = "PRIORITIZED"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chats")
    account_id = models.CharField(max_length=64)
    installation = models.ForeignKey(
        "apps_admin.Installation", on_delete=models.CASCADE, related_name="chats"
    )
    conversation_id = models.CharField(max_length=128)
    main_dialog_id = models.CharField(max_length=128)
    dialog_id = models.CharField(max_length=128)
    consumer_name = models.CharField(max_length=128)
    ext_consumer_id = models.CharField(max_length=256)
    consumer_jws = EncryptedTextField(db_column="consumer_jws_encrypted")
    features = models.JSONField(default=list)
    campaign_id = models.CharField(max_length=32, blank=True)
    engagement_id = models.CharField(max_length=32, blank=True)
    skill_id = models.CharField(max_length=32, default="-1")
    survey_skill_id = models.CharField(max_length=32, blank=True)
    ttr = models.CharField(max_length=16, choices=Ttr.choices, blank=True)
    state = models.CharField(max_length=8, default="OPEN")
    stage = models.CharField(max_length=8, default="OPEN")
    # metaDataLastUpdateTs of the newest ExConversation change applied: older
    # changes (webhooks are not ordered: docs/WEBHOOKS.md) are ignored.
    updated_ts = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChatConversationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_id", "conversation_id"], name="chat_conversation_unique")
        ]
        indexes = [models.Index(fields=["account_id", "-created_at"])]

    def __str__(self):
        return f"{self.consumer_name}: {self.conversation_id} ({self.state}/{self.stage})"

    @property
    def group_name(self) -> str:
        """The channel-layer group of this conversation's sockets (requests console)."""
        return f"chat_{self.pk}"

    @property
    def closed(self) -> bool:
        return self.state == "CLOSE" and self.stage == "CLOSE"

    @property
    def in_survey(self) -> bool:
        return bool(self.dialog_id) and self.dialog_id != self.main_dialog_id and not self.closed


class AppToken(models.Model):
    """The cached AppJWT of one app installation, shared by every process
    (docs/LIVEPERSON.md, 'Connector authorization: AppJWT')."""

    installation = models.OneToOneField(
        "apps_admin.Installation", on_delete=models.CASCADE, related_name="app_token"
    )
    token = EncryptedTextField(db_column="token_encrypted")
    expires_at = models.DateTimeField()
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"AppJWT of {self.installation_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class ChatRequest(models.Model):
    """One LivePerson request made for a conversation, secrets masked (the requests console)."""

    conversation = models.ForeignKey(ChatConversation, on_delete=models.CASCADE, related_name="requests")
    at = models.DateTimeField(default=timezone.now)
    service = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    request_body = models.JSONField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]

    def __str__(self):
        return f"{self.method} {self.url} -> {self.status or self.error}"

    def as_dict(self) -> dict:
        """What the requests console shows."""
        return {
            "id": self.pk,
            "at": self.at.isoformat(),
            "service": self.service,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_body": self.response_body,
            "duration_ms": round(self.duration_ms, 1),
            "error": self.error,
        }
