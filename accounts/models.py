from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class User(AbstractUser):
    """A person on this site: one per LivePerson account and login name.

    LivePerson users have no usable local password; LivePerson authenticates
    them. Local accounts (from `createsuperuser`) have no LivePerson account.
    """

    # "<account id>:<login name>" for LivePerson users; LivePerson allows
    # characters Django's default username validator does not.
    username = models.CharField(max_length=255, unique=True)
    lp_account_id = models.CharField("LivePerson account", max_length=64, blank=True, db_index=True)
    lp_login_name = models.CharField("LivePerson login name", max_length=100, blank=True)
    lp_user_id = models.CharField("LivePerson user id", max_length=32, blank=True)
    lp_is_admin = models.BooleanField("LivePerson administrator", default=False)
    lp_is_lpa = models.BooleanField("LivePerson LPA", default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lp_account_id", "lp_login_name"],
                condition=~Q(lp_account_id=""),
                name="accounts_user_unique_liveperson_login",
            )
        ]

    @property
    def lp_role(self) -> str:
        if self.lp_is_admin:
            return "Administrator"
        return "LPA" if self.lp_is_lpa else ""


class LoginAttemptQuerySet(models.QuerySet):
    def failures_since(self, since):
        return self.filter(succeeded=False, created_at__gte=since)


class LoginAttempt(models.Model):
    """Every login attempt, kept to throttle guessing and to audit logins."""

    account_id = models.CharField(max_length=64)
    login_name = models.CharField(max_length=100)  # lower-cased: throttling ignores case
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The id in the browser's known-device cookie, when that cookie says it has logged in
    # as this login name before (accounts.throttle); such attempts have a budget of their own.
    known_device = models.CharField(max_length=32, blank=True)
    succeeded = models.BooleanField()
    reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = LoginAttemptQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["account_id", "login_name", "created_at"]),
            models.Index(fields=["ip_address", "created_at"]),
        ]

    def __str__(self):
        outcome = "ok" if self.succeeded else self.reason
        return f"{self.login_name}@{self.account_id} from {self.ip_address}: {outcome}"


class AccessToken(models.Model):
    """A personal access token for the JSON API and the forwarder (docs/API.md).

    Only the sha256 of the raw token is kept: the raw token is shown once, at
    creation. The token carries the account its user was in when it was made,
    so it never reaches another account's data.
    """

    SCOPE_FULL = "full"
    SCOPE_READ = "read"
    SCOPE_FORWARD = "forward"
    SCOPE_CHOICES = [
        (SCOPE_FULL, "Full access"),
        (SCOPE_READ, "Read-only (API and stream)"),
        (SCOPE_FORWARD, "Forward only (stream)"),
    ]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    account_id = models.CharField("LivePerson account", max_length=64)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=16, choices=SCOPE_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…, {self.scope})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
