"""Personal access tokens: made, checked and revoked here only (docs/API.md).

A raw token is `cst_` + 40 URL-safe random characters. Only its sha256 is
stored; a sha256 (not a slow password hash) is enough because the token has
240 random bits, and it lets a lookup be one indexed query. The raw token and
its hash are never logged: log lines name a token by its id and prefix.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import AccessToken, User

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "cst_"
TOKEN_RANDOM_LENGTH = 40
# The first characters shown in lists: the marker plus 4 random ones, too few to guess from.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 4
# A token used many times a second costs one write a minute, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SCOPES = (AccessToken.SCOPE_FULL, AccessToken.SCOPE_READ, AccessToken.SCOPE_FORWARD)
# What each scope may do: "full" everything, "read" the API and the stream, "forward" the stream.
_ALLOWS = {
    AccessToken.SCOPE_FULL: {"full", "read", "forward"},
    AccessToken.SCOPE_READ: {"read", "forward"},
    AccessToken.SCOPE_FORWARD: {"forward"},
}


class AccessTokenError(ValueError):
    """A token cannot be made as asked; the message is fit for the page."""


def create(user: User, *, name: str, scope: str) -> tuple[AccessToken, str]:
    """A new token for `user`'s LivePerson account, and the raw token (the only time it exists)."""
    if scope not in SCOPES:
        raise AccessTokenError(f"Unknown scope: choose one of {', '.join(SCOPES)}.")
    if not user.lp_account_id:
        raise AccessTokenError("Only a LivePerson user can create access tokens.")
    raw = TOKEN_PREFIX + _random_part()
    token = AccessToken.objects.create(
        user=user,
        account_id=user.lp_account_id,
        name=name.strip()[:100] or "token",
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        token_hash=_hash(raw),
        scope=scope,
    )
    logger.info("access token %s (%s) created for user %s", token.pk, token.prefix, user.pk)
    return token, raw


def authenticate(raw: str | None, *, needs: str) -> AccessToken | None:
    """The active token `raw` names if its scope allows `needs`, else None."""
    if needs not in _ALLOWS[AccessToken.SCOPE_FULL]:
        raise ValueError(f"unknown need {needs!r}")
    if not _well_formed(raw):
        return None
    token = (
        AccessToken.objects.select_related("user")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or needs not in _ALLOWS[token.scope]:
        return None
    _touch(token)
    return token


def is_active(token_id: int) -> bool:
    """Whether the token is still unrevoked (open sockets ask every few seconds)."""
    return AccessToken.objects.filter(pk=token_id, revoked_at__isnull=True).exists()


def revoke(user: User, token_id: int) -> bool:
    """Revoke one of `user`'s own tokens; False when it is not theirs or already revoked."""
    revoked = AccessToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        logger.info("access token %s revoked by user %s", token_id, user.pk)
    return bool(revoked)


def tokens_of(user: User):
    """The user's tokens, newest first, revoked ones included (the page shows when)."""
    return AccessToken.objects.filter(user=user).order_by("-created_at", "-pk")


def bearer_token(headers) -> str | None:
    """The token of an `Authorization: Bearer …` header.

    `headers` is a Django request's `request.headers` (a mapping) or an ASGI
    scope's `headers` (a list of (bytes, bytes) pairs).
    """
    value = _authorization(headers)
    if not value:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _authorization(headers) -> str | None:
    if hasattr(headers, "get"):
        return headers.get("Authorization")
    for name, value in headers:
        if name.lower() == b"authorization":
            # latin-1 decodes any bytes: a garbled header is a bad token, not a crash.
            return value.decode("latin-1")
    return None


def _well_formed(raw: str | None) -> bool:
    return (
        isinstance(raw, str)
        and len(raw) == len(TOKEN_PREFIX) + TOKEN_RANDOM_LENGTH
        and raw.startswith(TOKEN_PREFIX)
    )


def _random_part() -> str:
    # token_urlsafe(30) gives exactly 40 characters of [A-Za-z0-9_-].
    return secrets.token_urlsafe(TOKEN_RANDOM_LENGTH * 3 // 4)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _touch(token: AccessToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # Conditional, so concurrent requests write it once.
    AccessToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now
    )
    token.last_used_at = now
