"""Data of the offline LivePerson: accounts, users, login sessions, switchable faults,
and a log of every request the sandbox received (so tests can see what was sent)."""

import hashlib
import hmac

from django.db import models
from django.utils import timezone


class Account(models.Model):
    account_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=128)
    # LivePerson answers sessionTTl in milliseconds; 8 hours is its usual value.
    session_ttl_ms = models.PositiveBigIntegerField(default=8 * 60 * 60 * 1000)
    async_messaging = models.BooleanField(default=True)
    # The App Install collection revision (`ac-revision`): bumped by every write
    # to any of the account's installations, echoed back in `If-Match`.
    revision = models.PositiveIntegerField(default=1)

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
