"""Logging people in and out with their LivePerson account, and keeping that
LivePerson session alive while they use the site."""

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.db import transaction
from redis.exceptions import RedisError

from accounts import throttle
from accounts.lp_session import LivePersonSession, lp_session_get, lp_session_save
from accounts.models import LoginAttempt, User
from core import addresses
from liveperson import csds, errors
from liveperson import login as lp_login
from liveperson.schemas import LoginConfig

logger = logging.getLogger(__name__)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# After a failed refresh (LivePerson unreachable), try again this much later.
REFRESH_RETRY_SECONDS = 30


class LoginError(Exception):
    """A login that did not happen, with the message to show on the form."""

    def __init__(self, message: str, *, status: int = 200, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after  # seconds, for a Retry-After header


# --- Login --------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    """One login attempt: who, from where, and from which known device ("" for none)."""

    account_id: str
    login_name: str
    ip_address: str | None
    known_device: str = ""

    def record(self, *, reason: str) -> None:
        """Add it to the audit log; an empty `reason` means it succeeded."""
        LoginAttempt.objects.create(
            account_id=self.account_id,
            login_name=self.login_name.lower(),
            ip_address=self.ip_address,
            known_device=self.known_device,
            succeeded=not reason,
            reason=reason,
        )


def user_login(*, request, account_id: str, login_name: str, password: str) -> User:
    """Authenticate against LivePerson and start a session on this site.

    Only LivePerson administrators and LPA users are admitted. The view then sets the
    known-device cookie (`throttle.known_device_remember`): next time this browser has a
    throttling budget of its own, which strangers' failures cannot use up.
    """
    attempt = _Attempt(
        account_id=account_id,
        login_name=login_name,
        ip_address=client_ip(request),
        known_device=throttle.known_device_id(request, account_id=account_id, login_name=login_name),
    )
    login_throttle_check(
        account_id=account_id,
        login_name=login_name,
        ip_address=attempt.ip_address,
        known_device=attempt.known_device,
    )
    lp = _liveperson_login(attempt, password)
    lp_session = _liveperson_session(account_id, lp)
    config = lp.response.config
    if not (config.isAdmin or config.isLPA):
        _logout_liveperson(lp_session)
        attempt.record(reason="not_allowed")
        raise LoginError("Only administrators or LPA users can log in.")
    user = user_sync_from_liveperson(account_id=account_id, config=config)
    if not user.is_active:
        attempt.record(reason="inactive")
        raise LoginError("This user has been disabled on this site.")
    auth.login(request, user, backend=MODEL_BACKEND)  # also rotates the session id
    _start_session(request, lp_session)
    # The failures stay (audit log); the throttle counts only those after this success.
    attempt.record(reason="")
    return user


def _liveperson_login(attempt: _Attempt, password: str) -> lp_login.LoginSession:
    account_id = attempt.account_id
    try:
        agent_vep = csds.get_base_uri(account_id, "agentVep")
        return lp_login.login(
            base_uri=agent_vep, account_id=account_id, username=attempt.login_name, password=password
        )
    except errors.UnknownAccountError:
        attempt.record(reason="unknown_account")
        raise LoginError(f"LivePerson does not know the account {account_id}.") from None
    except errors.UnauthorizedError:
        attempt.record(reason="bad_credentials")
        raise LoginError("Wrong account, login name or password.") from None
    except errors.LivePersonError as exc:
        raise LoginError(errors.user_message(exc), status=503) from None


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


def login_throttle_check(
    *,
    account_id: str,
    login_name: str,
    ip_address: str | None,
    known_device: str = "",
    now: datetime | None = None,
) -> None:
    """Refuse the login, saying how long to wait, while a rule of accounts.throttle says wait.

    The rules (the module's docstring): per login name and address, per address, per account,
    and a slow-down per login name that spares addresses that logged in as it before; a browser
    that did (its known-device cookie, `known_device`) has only a budget of its own.
    """
    wait = throttle.login_throttle_wait(
        account_id=account_id,
        login_name=login_name,
        ip_address=ip_address,
        known_device=known_device,
        now=now,
    )
    if wait is None:
        return
    seconds = math.ceil(wait.total_seconds())
    # Refused attempts are not in LoginAttempt (they would prolong the wait); log them instead.
    where = f"{ip_address} (known device)" if known_device else ip_address
    logger.info("login throttled for %s s: %s@%s from %s", seconds, login_name.lower(), account_id, where)
    message = f"Too many failed logins. Try again in {_duration(seconds)}."
    raise LoginError(message, status=429, retry_after=seconds)


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def client_ip(request) -> str | None:
    """The client's address, trusting X-Forwarded-For only from NUM_PROXIES proxies."""
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return addresses.client_address(request.META.get("REMOTE_ADDR"), forwarded_for)


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
