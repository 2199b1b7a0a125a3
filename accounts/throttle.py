"""Login throttling that slows password guessing without letting a guesser lock out the real user.

Each rule limits one kind of failed login in accounts.LoginAttempt and says how long an attempt
must wait; the login is refused, before LivePerson is asked, while any rule says wait
(settings `LOGIN_THROTTLE_*`, defaults in brackets):

1. Known device. A browser that has logged in here as this account and login name carries a
   signed cookie saying so, for KNOWN_DEVICE_DAYS [30] since its last login. Its attempts are
   limited only by its own failures for that name: MAX_PER_USER_ADDRESS [5] in WINDOW_SECONDS
   [900], then none until the oldest leaves the window. The rules below do not apply to it, so
   nobody elsewhere, or at the same address, can lock it out.
2. Login name and address: MAX_PER_USER_ADDRESS [5] failures in the window.
3. Address, any login name: MAX_PER_ADDRESS [20] failures in the window.
4. LivePerson account, any login name or address: MAX_PER_ACCOUNT [100] failures in the window.
5. Login name from every address (a distributed guess): the first MAX_PER_USER [10] failures in
   USER_WINDOW_SECONDS [86400] are free; then each failure makes the next attempt wait after it:
   2 s, doubling with each further failure, at most MAX_DELAY_SECONDS [900]. An address that
   logged in successfully as this name within KNOWN_DEVICE_DAYS is exempt.

A successful login restarts the counts of rules 1, 2 and 5 for that name (rule 1 on that device,
rules 2 and 5 without one); the failures stay in LoginAttempt, the audit log. Refused attempts are
not recorded, so retrying a refused login does not extend its wait: no rule makes anyone wait
longer than WINDOW_SECONDS or MAX_DELAY_SECONDS.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginAttempt

KNOWN_DEVICE_COOKIE = "known_device"
_KNOWN_DEVICE_SALT = "accounts.throttle.known_device"
# Logins one cookie remembers; the oldest is forgotten first.
_KNOWN_DEVICE_MAX_LOGINS = 20
# Rule 5's first wait; each further failure doubles it.
_FIRST_DELAY_SECONDS = 2


# --- Known devices --------------------------------------------------------------


@dataclass(frozen=True)
class KnownDevice:
    """A browser that has logged in here: its id and the logins it made, from its signed cookie."""

    device_id: str
    logins: tuple[str, ...] = ()

    def knows(self, *, account_id: str, login_name: str) -> bool:
        return _login_key(account_id, login_name) in self.logins


def known_device_get(request) -> KnownDevice | None:
    """The browser's known-device cookie, if it carries a valid, unexpired one."""
    value = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_KNOWN_DEVICE_SALT, max_age=_known_device_lifetime())
        device = KnownDevice(device_id=str(data["d"]), logins=tuple(str(key) for key in data["u"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return device if 0 < len(device.device_id) <= 32 else None


def known_device_id(request, *, account_id: str, login_name: str) -> str:
    """The device id to throttle this login by (rule 1), or "" when the browser is not known for it."""
    device = known_device_get(request)
    if device and device.knows(account_id=account_id, login_name=login_name):
        return device.device_id
    return ""


def known_device_remember(*, request, response, account_id: str, login_name: str) -> None:
    """Set the cookie that makes this browser a known device for this login from now on."""
    device = known_device_get(request)
    key = _login_key(account_id, login_name)
    others = [login for login in (device.logins if device else ()) if login != key]
    data = {
        "d": device.device_id if device else secrets.token_urlsafe(16),
        "u": [*others[-(_KNOWN_DEVICE_MAX_LOGINS - 1) :], key],
    }
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(data, salt=_KNOWN_DEVICE_SALT, compress=True),
        max_age=int(_known_device_lifetime().total_seconds()),
        path=reverse("accounts:login"),  # only the login form needs it
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _login_key(account_id: str, login_name: str) -> str:
    return f"{account_id}:{login_name.lower()}"


def _known_device_lifetime() -> timedelta:
    return timedelta(days=settings.LOGIN_THROTTLE_KNOWN_DEVICE_DAYS)


# --- The rules --------------------------------------------------------------------


def login_throttle_wait(
    *,
    account_id: str,
    login_name: str,
    ip_address: str | None,
    known_device: str = "",
    now: datetime | None = None,
) -> timedelta | None:
    """How long this login must wait under the rules above; None when it may go ahead now."""
    now = now or timezone.now()
    in_account = LoginAttempt.objects.filter(account_id=account_id)
    named = in_account.filter(login_name=login_name.lower())
    per_pair = settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS
    if known_device:
        return _limit_wait(named.filter(known_device=known_device), per_pair, now)
    without_device = named.filter(known_device="")
    waits = [
        _limit_wait(without_device.filter(ip_address=ip_address), per_pair, now),
        _limit_wait(in_account, settings.LOGIN_THROTTLE_MAX_PER_ACCOUNT, now, restarts=False),
    ]
    if ip_address:
        by_address = LoginAttempt.objects.filter(ip_address=ip_address)
        waits.append(_limit_wait(by_address, settings.LOGIN_THROTTLE_MAX_PER_ADDRESS, now, restarts=False))
    if not _known_address(named, ip_address, now):
        waits.append(_slowdown_wait(without_device, now))
    return max((wait for wait in waits if wait), default=None)


def _limit_wait(attempts: QuerySet, limit: int, now: datetime, *, restarts: bool = True) -> timedelta | None:
    """Rules 1 to 4: `limit` failures in the window wait until the oldest of them leaves it."""
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    failures = _failures(attempts, since=now - window, restarts=restarts)
    recent = list(failures.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(recent) < limit:
        return None
    return _positive(recent[-1] + window - now)


def _slowdown_wait(attempts: QuerySet, now: datetime) -> timedelta | None:
    """Rule 5: past the free failures, wait after the latest one, doubling up to the maximum."""
    window = timedelta(seconds=settings.LOGIN_THROTTLE_USER_WINDOW_SECONDS)
    failures = _failures(attempts, since=now - window, restarts=True)
    counted = failures.aggregate(count=Count("id"), latest=Max("created_at"))
    excess = counted["count"] - settings.LOGIN_THROTTLE_MAX_PER_USER
    if excess < 0:
        return None
    # min() on the exponent too: a huge count must not build a huge integer.
    seconds = min(_FIRST_DELAY_SECONDS * 2 ** min(excess, 40), settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS)
    return _positive(counted["latest"] + timedelta(seconds=seconds) - now)


def _failures(attempts: QuerySet, *, since: datetime, restarts: bool) -> QuerySet:
    """Failures since `since` and, when the count restarts, after the latest success among them."""
    failures = attempts.failures_since(since)
    if restarts:
        success = attempts.filter(succeeded=True, created_at__gte=since).aggregate(at=Max("created_at"))
        if success["at"]:
            failures = failures.filter(created_at__gt=success["at"])
    return failures


def _known_address(named: QuerySet, ip_address: str | None, now: datetime) -> bool:
    if not ip_address:
        return False
    since = now - _known_device_lifetime()
    return named.filter(ip_address=ip_address, succeeded=True, created_at__gte=since).exists()


def _positive(wait: timedelta) -> timedelta | None:
    return wait if wait > timedelta(0) else None
