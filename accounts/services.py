"""Logging people in and out with their LivePerson account, and keeping that
LivePerson session alive while they use the site."""

import hashlib
import ipaddress
import logging
import math
import time
from datetime import UTC, datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.lp_session import LivePersonSession, lp_session_get, lp_session_save
from accounts.models import LoginAttempt, User
from liveperson import csds, errors
from liveperson import login as lp_login
from liveperson.schemas import LoginConfig

logger = logging.getLogger(__name__)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# After a failed refresh (LivePerson unreachable), try again this much later.
REFRESH_RETRY_SECONDS = 30


class LoginError(Exception):
    """A login that did not happen, with the message to show on the form."""

    def __init__(self, message: str, *, status: int = 200):
        super().__init__(message)
        self.message = message
        self.status = status


# --- Login --------------------------------------------------------------------


def user_login(*, request, account_id: str, login_name: str, password: str) -> User:
    """Authenticate against LivePerson and start a session on this site.

    Only LivePerson administrators and LPA users are admitted.
    """
    ip_address = client_ip(request)
    login_throttle_check(account_id=account_id, login_name=login_name, ip_address=ip_address)
    lp = _liveperson_login(account_id, login_name, password, ip_address)
    lp_session = _liveperson_session(account_id, lp)
    config = lp.response.config
    if not (config.isAdmin or config.isLPA):
        _logout_liveperson(lp_session)
        _record_attempt(account_id, login_name, ip_address, reason="not_allowed")
        raise LoginError("Only administrators or LPA users can log in.")
    user = user_sync_from_liveperson(account_id=account_id, config=config)
    if not user.is_active:
        _record_attempt(account_id, login_name, ip_address, reason="inactive")
        raise LoginError("This user has been disabled on this site.")
    auth.login(request, user, backend=MODEL_BACKEND)  # also rotates the session id
    _start_session(request, lp_session)
    _record_attempt(account_id, login_name, ip_address, reason="")
    LoginAttempt.objects.filter(
        account_id=account_id, login_name=login_name.lower(), succeeded=False
    ).delete()
    return user


def _liveperson_login(account_id, login_name, password, ip_address) -> lp_login.LoginSession:
    try:
        agent_vep = csds.get_base_uri(account_id, "agentVep")
        return lp_login.login(
            base_uri=agent_vep, account_id=account_id, username=login_name, password=password
        )
    except errors.UnknownAccountError:
        _record_attempt(account_id, login_name, ip_address, reason="unknown_account")
        raise LoginError(f"LivePerson does not know the account {account_id}.") from None
    except errors.UnauthorizedError:
        _record_attempt(account_id, login_name, ip_address, reason="bad_credentials")
        raise LoginError("Wrong account, login name or password.") from None
    except errors.LivePersonError as exc:
        raise LoginError(_unavailable_message(exc), status=503) from None


def _unavailable_message(exc: errors.LivePersonError) -> str:
    if isinstance(exc, errors.TimedOutError):
        return "LivePerson is taking too long to answer. Please try again in a moment."
    if isinstance(exc, errors.UnreachableError):
        return "LivePerson cannot be reached right now. Please try again in a moment."
    if isinstance(exc, errors.RateLimitedError):
        return "LivePerson is rate-limiting logins. Please wait a minute and try again."
    status = f" (HTTP {exc.status})" if exc.status else ""
    return f"LivePerson gave an unexpected answer{status}. Please try again later."


def user_sync_from_liveperson(*, account_id: str, config: LoginConfig) -> User:
    """The local user for a LivePerson login, created on first login."""
    user, created = User.objects.get_or_create(
        lp_account_id=account_id,
        lp_login_name=config.loginName,
        defaults={"username": f"{account_id}:{config.loginName}"},
    )
    if created:
        user.set_unusable_password()
    user.lp_user_id = config.userId
    user.lp_is_admin = config.isAdmin
    user.lp_is_lpa = config.isLPA
    user.save()
    return user


def _liveperson_session(account_id: str, lp: lp_login.LoginSession) -> LivePersonSession:
    now = time.time()
    response = lp.response
    collection = response.csdsCollectionResponse
    return LivePersonSession(
        account_id=account_id,
        login_name=response.config.loginName,
        user_id=response.config.userId,
        bearer=response.bearer.get_secret_value(),
        csrf=response.csrf.get_secret_value(),
        session_id=lp.session_id.get_secret_value(),
        base_uris={
            **(collection.as_map() if collection else csds.get_base_uris(account_id)),
            "agentVep": lp.base_uri,
        },
        expires_at=now + min(response.sessionTTl / 1000, settings.SESSION_COOKIE_AGE),
        next_refresh_at=now + settings.LIVEPERSON_REFRESH_SECONDS,
    )


def _start_session(request, lp_session: LivePersonSession) -> None:
    lp_session_save(request, lp_session)
    # An absolute expiry: the session ends no later than LivePerson's sessionTTl.
    request.session.set_expiry(datetime.fromtimestamp(lp_session.expires_at, tz=UTC))


# --- Throttling ---------------------------------------------------------------


def login_throttle_check(*, account_id: str, login_name: str, ip_address: str | None) -> None:
    """Refuse a login when this user, this address or this account failed too often recently."""
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    failures = LoginAttempt.objects.failures_since(timezone.now() - window)
    by_account = failures.filter(account_id=account_id)
    by_user = by_account.filter(login_name=login_name.lower())
    by_address = failures.filter(ip_address=ip_address) if ip_address else failures.none()
    for attempts, limit in (
        (by_user, settings.LOGIN_THROTTLE_MAX_PER_USER),
        (by_address, settings.LOGIN_THROTTLE_MAX_PER_ADDRESS),
        # Guessing spread over many addresses and login names of one account.
        (by_account, settings.LOGIN_THROTTLE_MAX_PER_ACCOUNT),
    ):
        recent = list(attempts.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(recent) >= limit:
            free_at = recent[-1] + window
            minutes = max(1, math.ceil((free_at - timezone.now()).total_seconds() / 60))
            raise LoginError(
                f"Too many failed logins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                status=429,
            )


def _record_attempt(account_id, login_name, ip_address, *, reason: str) -> None:
    """Record a login attempt; an empty `reason` means it succeeded."""
    LoginAttempt.objects.create(
        account_id=account_id,
        login_name=login_name.lower(),
        ip_address=ip_address,
        succeeded=not reason,
        reason=reason,
    )


def client_ip(request) -> str | None:
    """The client's address, trusting X-Forwarded-For only from NUM_PROXIES proxies."""
    candidate = request.META.get("REMOTE_ADDR")
    if settings.NUM_PROXIES:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= settings.NUM_PROXIES:
            candidate = forwarded[-settings.NUM_PROXIES]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


# --- Keep-alive and logout ----------------------------------------------------


def session_keepalive(*, request) -> bool:
    """Refresh the LivePerson session when due; end ours when LivePerson's has ended.

    Returns True when it logged the user out.
    """
    lp = lp_session_get(request)
    if lp is None:
        return False
    now = time.time()
    if now >= lp.expires_at:
        user_logout(request=request, reason="expired")
        return True
    if now < lp.next_refresh_at:
        return False
    try:
        lp_login.refresh(**lp.login_service_args())
    except errors.UnauthorizedError:
        user_logout(request=request, reason="expired")
        return True
    except errors.LivePersonError as exc:
        logger.warning("LivePerson session refresh failed, will retry: %s", exc)
        lp.next_refresh_at = now + REFRESH_RETRY_SECONDS
    else:
        lp.next_refresh_at = now + settings.LIVEPERSON_REFRESH_SECONDS
    lp_session_save(request, lp)
    return False


def user_logout(*, request, reason: str = "logout") -> None:
    """End the LivePerson session, then ours, and tell every open tab."""
    lp = lp_session_get(request)
    if lp is not None and reason == "logout":
        _logout_liveperson(lp)
    group = session_group_name(request.session.session_key)
    auth.logout(request)
    _broadcast_session_ended(group, reason)


def _logout_liveperson(lp: LivePersonSession) -> None:
    """Log out of LivePerson; a failure only leaves a session to expire there."""
    try:
        lp_login.logout(**lp.login_service_args())
    except errors.LivePersonError as exc:
        # Our session ends regardless; LivePerson's expires on its own.
        logger.warning("LivePerson logout failed: %r", exc)


def session_group_name(session_key: str | None) -> str:
    """Channel-layer group of one login session (the key itself stays private)."""
    digest = hashlib.sha256((session_key or "").encode()).hexdigest()[:32]
    return f"session_{digest}"


def _broadcast_session_ended(group: str, reason: str) -> None:
    def send():
        try:
            async_to_sync(get_channel_layer().group_send)(group, {"type": "session.ended", "reason": reason})
        except (OSError, RedisError) as exc:
            # Tabs find out on their next request instead; logout itself succeeded.
            logger.warning("could not broadcast session end: %r", exc)

    transaction.on_commit(send)
