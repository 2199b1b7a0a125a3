"""Data of the offline LivePerson: accounts, users, login sessions, switchable faults,
and a log of every request the sandbox received (so tests can see what was sent)."""

import hashlib
import hmac

from django.db import models
from django.utils import timezone

from worker.models import Leased


class Account(models.Model):
    account_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    # LivePerson answers sessionTTl in milliseconds; 8 hours is its usual value.
    session_ttl_ms = models.PositiveBigIntegerField(default=8 * 60 * 60 * 1000)
    async_messaging = models.BooleanField(default=True)
    # The App Install collection revision (`ac-revision`): bumped by every write
    # to any of the account's installations, echoed back in `If-Match`.
    revision = models.PositiveIntegerField(default=1)
    # Site property messaging.file.sharing.enabled (docs/LIVEPERSON.md, 'Send API: file sharing'):
    # off until an admin sets it, as on LivePerson; the seed turns it on where wanted.
    file_sharing = models.BooleanField(default=False)
    # The Controller Bot permissions AUTO_MESSAGES needs (docs/LIVEPERSON.md, 'Features').
    auto_messages = models.BooleanField(default=True)
    # Skills with a post-conversation survey bound to them (docs/LIVEPERSON.md,
    # 'Post-conversation survey'): closing the MAIN dialog of a conversation whose
    # skill is listed opens a POST_SURVEY dialog.
    survey_skill_ids = models.JSONField(default=list)
    # How webhooks are signed (docs/WEBHOOKS.md): sha1 as LivePerson does by default, or
    # sha256 as it does for accounts that asked for it. A sandbox switch.
    webhook_signature = models.CharField(
        max_length=8, choices=[("sha1", "HMAC-SHA1"), ("sha256", "HMAC-SHA256")], default="sha1"
    )
    # How messaging events are numbered (docs/LIVEPERSON.md, 'Sequences'): per dialog, each
    # starting at 0, as the survey tutorial shows (the default); or one numbering for the
    # whole conversation, as the Webhooks Events page words it. A sandbox switch.
    sequence_scope = models.CharField(
        max_length=16,
        choices=[("dialog", "Per dialog, from 0"), ("conversation", "One numbering per conversation")],
        default="dialog",
    )
    # What `ConversationStateField` CLOSE does (docs/LIVEPERSON.md, 'Closing'): the docs skip
    # the survey with `Stage`, which implies this close may start it, so by default it acts
    # like closing the MAIN dialog; "all" closes every dialog without a survey. A sandbox switch.
    state_field_close = models.CharField(
        max_length=16,
        choices=[("survey", "Like closing MAIN: the survey may start"), ("all", "Closes everything")],
        default="survey",
    )
    # How metaDataLastUpdateTs is stamped (docs/LIVEPERSON.md, 'Conversation changes'): the
    # clock's milliseconds, so that distinct changes in one millisecond share it (LivePerson
    # promises no uniqueness); or "unique", always later than the previous one. A sandbox switch.
    update_ts = models.CharField(
        max_length=16,
        choices=[("clock", "The clock: may repeat"), ("unique", "Always later than the previous")],
        default="clock",
    )

    # Seconds after an app is installed before LivePerson's Webhooks recognises it
    # (docs/LIVEPERSON.md, 'Webhook activation': "up to two minutes"): events before then
    # reach none of its endpoints. Tests that need webhooks at once set 0. A sandbox switch.
    webhook_activation_seconds = models.PositiveIntegerField(default=120)
    # What a 2xx answer to an app create or update carries (docs/LIVEPERSON.md, 'Response
    # bodies'): the installation, as the demo app's mock data show, or nothing. A sandbox switch.
    install_answer = models.CharField(
        max_length=16,
        choices=[("installation", "The installation"), ("empty", "An empty body")],
        default="installation",
    )
    # What a 200 answer to SEND carries (docs/LIVEPERSON.md, 'Response bodies'): the SEND page's
    # {reqId, code, body: {sequence}}, nothing, or {reqId, code} without a body. A sandbox switch.
    send_answer = models.CharField(
        max_length=16,
        choices=[
            ("documented", "{reqId, code, body: {sequence}}"),
            ("empty", "An empty body"),
            ("no_body", "{reqId, code}, no body"),
        ],
        default="documented",
    )

    def __str__(self):
        return f"{self.account_id} ({self.name})"


class User(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    login_name = models.CharField(max_length=100)
    # Sandbox passwords are published demo data: a fast salted hash is enough.
    password_hash = models.CharField(max_length=64)
    user_id = models.CharField(max_length=32)
    is_admin = models.BooleanField(default=False)
    is_lpa = models.BooleanField(default=False)
    privileges = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "login_name"], name="sandbox_user_unique_login")
        ]

    def __str__(self):
        return f"{self.login_name}@{self.account.account_id}"

    def _digest(self, password: str) -> str:
        salt = f"{self.account.account_id}:{self.login_name}".encode()
        return hashlib.sha256(salt + b"\0" + password.encode()).hexdigest()

    def set_password(self, password: str) -> None:
        self.password_hash = self._digest(password)

    def check_password(self, password: str) -> bool:
        return hmac.compare_digest(self.password_hash, self._digest(password))


class LoginSession(models.Model):
    """A Login Service session: the `Session_id` cookie, its csrf and its bearer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    session_id = models.CharField(max_length=64, unique=True)
    csrf = models.CharField(max_length=64)
    bearer = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    refreshed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"session of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def wsuk(self) -> str:
        """The web-socket user key LivePerson returns; any stable digits will do."""
        return str(int(self.session_id[:15], 16))

    def is_live(self) -> bool:
        return self.ended_at is None and timezone.now() < self.expires_at


class InstallationQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted=False)


class Installation(models.Model):
    """An App Install API installation: the client's JSON plus the server-assigned fields."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="installations")
    client_id = models.CharField(max_length=64, unique=True)
    client_secret = models.CharField(max_length=128)
    client_id_issued_at = models.PositiveBigIntegerField()
    # Everything the client sent, without the server-assigned fields above.
    data = models.JSONField(default=dict)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.data.get('client_name', '?')} ({self.client_id})"

    def as_json(self) -> dict:
        """The object as LivePerson answers it, secret included."""
        return {
            **self.data,
            "client_id_issued_at": self.client_id_issued_at,
            "client_secret_expires_at": 0,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "id": self.client_id,
            "deleted": self.deleted,
        }


class Fault(models.Model):
    """A switch that makes one sandbox service (or all) misbehave like LivePerson can."""

    ALL_SERVICES = "*"

    class Mode(models.TextChoices):
        SLOW = "slow", "answer after a delay"
        DOWN = "down", "503 from the load balancer"
        STATUS = "status", "a given HTTP status with an error body"
        GARBAGE = "garbage", "200 with a body that is not JSON"

    service = models.CharField(max_length=64, default=ALL_SERVICES)
    mode = models.CharField(max_length=16, choices=Mode.choices)
    delay_seconds = models.FloatField(default=0)
    status = models.PositiveSmallIntegerField(default=500)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.mode} on {self.service}"


class RequestLog(models.Model):
    """One request received by the sandbox, secrets masked."""

    service = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=2000)
    query = models.JSONField(default=dict)
    headers = models.JSONField(default=dict)
    body = models.JSONField(null=True)
    status = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.method} {self.path} -> {self.status}"


# --- Messaging (Connector API): consumers, conversations, their events ---------


class Consumer(models.Model):
    """A consumer known to the IdP: the app's external id and LivePerson's own id."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="consumers")
    ext_consumer_id = models.CharField(max_length=256)
    lp_consumer_id = models.CharField(max_length=64, unique=True)  # 64 hex digits
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "ext_consumer_id"], name="sandbox_consumer_unique_ext")
        ]

    def __str__(self):
        return f"{self.ext_consumer_id} ({self.lp_consumer_id[:8]}…)"


class MessagingConversation(models.Model):
    """A conversation opened through the Send API (docs/LIVEPERSON.md, 'Send API: CONVERSATION').

    `state` follows the MAIN dialog and `stage` the whole conversation
    (docs/LIVEPERSON.md, 'Post-conversation survey'): after a close with a survey,
    state is CLOSE while stage stays OPEN.
    """

    class AgentMode(models.TextChoices):
        SCRIPTED = "scripted", "Scripted agent"
        HUMAN = "human", "A person on the sandbox agent page"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="conversations")
    # The app whose AppJWT opened it: its webhooks receive the conversation's events.
    installation = models.ForeignKey(
        Installation, on_delete=models.SET_NULL, null=True, related_name="conversations"
    )
    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="conversations")
    conversation_id = models.CharField(max_length=64, unique=True)
    skill_id = models.CharField(max_length=32, default="-1")
    campaign_id = models.CharField(max_length=32, blank=True)
    engagement_id = models.CharField(max_length=32, blank=True)
    ttr_type = models.CharField(max_length=16, blank=True)
    # Client-Properties features of the CONVERSATION call (AUTO_MESSAGES, ...).
    features = models.JSONField(default=list)
    consumer_profile = models.JSONField(default=dict)
    state = models.CharField(max_length=8, default="OPEN")
    stage = models.CharField(max_length=8, default="OPEN")
    close_reason = models.CharField(max_length=16, blank=True)
    agent_mode = models.CharField(max_length=16, choices=AgentMode.choices, default=AgentMode.SCRIPTED)
    assigned_agent_id = models.CharField(max_length=64, blank=True)
    start_ts = models.BigIntegerField()  # epoch ms, like LivePerson
    end_ts = models.BigIntegerField(default=-1)
    meta_updated_ts = models.BigIntegerField()

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.conversation_id} ({self.state}/{self.stage})"


class Dialog(models.Model):
    class Type(models.TextChoices):
        MAIN = "MAIN"
        POST_SURVEY = "POST_SURVEY"

    conversation = models.ForeignKey(MessagingConversation, on_delete=models.CASCADE, related_name="dialogs")
    dialog_id = models.CharField(max_length=64, unique=True)
    dialog_type = models.CharField(max_length=16, choices=Type.choices, default=Type.MAIN)
    state = models.CharField(max_length=8, default="OPEN")
    closed_by = models.CharField(max_length=16, blank=True)
    closed_cause = models.CharField(max_length=128, blank=True)
    creation_ts = models.BigIntegerField()
    end_ts = models.BigIntegerField(default=-1)
    meta_updated_ts = models.BigIntegerField()
    # Post-conversation survey: index of the question being asked.
    survey_step = models.PositiveSmallIntegerField(default=0)
    # The last messaging sequence of the dialog: every ContentEvent, AcceptStatusEvent and
    # RichContentEvent takes the next number (ChatStateEvents take none); see
    # Account.sequence_scope for where numbering starts.
    last_sequence = models.IntegerField(default=-1)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.dialog_type} {self.dialog_id} ({self.state})"


class MessagingEvent(models.Model):
    """One messaging event of a conversation, as the history API and webhooks show it."""

    conversation = models.ForeignKey(MessagingConversation, on_delete=models.CASCADE, related_name="events")
    dialog = models.ForeignKey(Dialog, on_delete=models.CASCADE, related_name="events")
    sequence = models.IntegerField(null=True)  # None for ChatStateEvents
    originator_id = models.CharField(max_length=64)
    role = models.CharField(max_length=16)  # CONSUMER, ASSIGNED_AGENT, AGENT, CONTROLLER...
    event = models.JSONField()
    metadata = models.JSONField(null=True, blank=True)
    client_properties = models.JSONField(null=True, blank=True)
    audience = models.CharField(max_length=24, default="ALL")
    server_timestamp = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "sequence"])]

    def __str__(self):
        return f"{self.event.get('type')} #{self.sequence} by {self.role}"


# --- Webhook outbox: what the dispatcher must deliver -------------------------


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Notification.Status.PENDING)


class Notification(Leased):
    """One webhook notification for one app's endpoint, kept until delivered or given up.

    `body` holds the exact text that is signed and posted. Per app and
    conversation, notifications go out in id order, except across a failure retried
    by numbers, as on LivePerson (sandbox.dispatcher, docs/WEBHOOKS.md).
    The dispatcher claims them through worker.claims (lease fields from Leased).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered (200/201)"
        DROPPED = "dropped", "Given up: retries or retention exhausted"

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="notifications")
    conversation_id = models.CharField(max_length=64)
    # The webhook key it is routed by, e.g. ms.MessagingEventNotification.ContentEvent
    # (docs/LIVEPERSON.md, 'Webhooks').
    webhook = models.CharField(max_length=96)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["installation", "conversation_id", "status"]),
        ]

    def __str__(self):
        return f"{self.webhook} for {self.conversation_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a notification to an endpoint, and how it went."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    url = models.CharField(max_length=2000)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.url} -> {self.status_code or self.error}"


class StoredFile(models.Model):
    """A file uploaded to swift under a temp URL (docs/LIVEPERSON.md, 'Send API: file sharing')."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="files")
    relative_path = models.CharField(max_length=512, unique=True)
    file_type = models.CharField(max_length=8)
    declared_size = models.PositiveIntegerField()
    content = models.BinaryField(null=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.relative_path


class AgentTask(Leased):
    """Something the scripted agent (or survey bot) will do at `due_at`, claimed by a
    worker through worker.claims (the lease fields come from Leased)."""

    conversation = models.ForeignKey(
        MessagingConversation, on_delete=models.CASCADE, related_name="agent_tasks"
    )
    kind = models.CharField(max_length=32)
    payload = models.JSONField(default=dict)
    due_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["done_at", "due_at"])]

    def __str__(self):
        return f"{self.kind} at {self.due_at:%H:%M:%S}"
