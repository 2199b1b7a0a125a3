"""The throttling rules, on an injected clock: explicit timestamps, no sleeping."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from accounts import throttle
from accounts.models import LoginAttempt
from accounts.services import LoginError, login_throttle_check

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "90000001"


def _attempt(*, at: datetime, ip: str = "203.0.113.1", name: str = "admin", ok=False, device=""):
    LoginAttempt.objects.create(
        account_id=ACCOUNT,
        login_name=name,
        ip_address=ip,
        known_device=device,
        succeeded=ok,
        reason="" if ok else "bad_credentials",
        created_at=at,
    )


def _wait(*, at: datetime = NOW, ip: str = "198.51.100.7", name: str = "admin", device="") -> float | None:
    wait = throttle.login_throttle_wait(
        account_id=ACCOUNT, login_name=name, ip_address=ip, known_device=device, now=at
    )
    return wait and wait.total_seconds()


def _address(n: int) -> str:
    return f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}"


def _guess_from_many_addresses(until: datetime) -> list[float]:
    """A botnet guessing admin's password, one new address per guess, as fast as allowed.

    Returns the waits it was given.
    """
    at, waits, n = NOW, [], 0
    while at < until:
        wait = _wait(at=at, ip=_address(n))
        if wait:
            waits.append(wait)
            at += timedelta(seconds=wait)
            continue
        _attempt(at=at, ip=_address(n))
        n += 1
        at += timedelta(milliseconds=100)
    return waits


# --- Per login name and address (rule 2) ----------------------------------------------


def test_five_failures_from_one_address_lock_that_name_there_for_the_window(settings):
    for minute in range(5):
        _attempt(at=NOW - timedelta(minutes=5 - minute), ip="203.0.113.1")

    assert _wait(ip="203.0.113.1") == 10 * 60  # until the oldest is 15 minutes old
    assert _wait(ip="203.0.113.1", at=NOW + timedelta(minutes=10)) is None
    assert _wait(ip="198.51.100.7") is None


def test_a_success_restarts_the_count_of_that_name_at_that_address():
    for second in range(4):
        _attempt(at=NOW - timedelta(seconds=10 - second))
    _attempt(at=NOW - timedelta(seconds=5), ok=True)
    for second in range(4):
        _attempt(at=NOW - timedelta(seconds=4 - second))

    assert _wait(ip="203.0.113.1") is None


# --- Per login name from every address (rule 5) ---------------------------------------


def test_the_first_failures_for_a_name_from_many_addresses_are_free(settings):
    for n in range(settings.LOGIN_THROTTLE_MAX_PER_USER - 1):
        _attempt(at=NOW - timedelta(seconds=30 - n), ip=_address(n))

    assert _wait() is None


def test_past_the_free_failures_each_one_doubles_the_wait_up_to_the_maximum(settings):
    waits = _guess_from_many_addresses(until=NOW + timedelta(hours=2))

    assert waits[:9] == pytest.approx([2, 4, 8, 16, 32, 64, 128, 256, 512], abs=0.2)
    assert max(waits) <= settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS
    assert waits[-1] == pytest.approx(settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS, abs=0.2)


def test_a_distributed_guess_is_held_to_about_one_guess_per_maximum_delay(settings):
    _guess_from_many_addresses(until=NOW + timedelta(days=1))

    # 10 free, 9 while the wait doubles, then one per 15 minutes: about 110 a day.
    per_day = 24 * 60 * 60 / settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS
    assert LoginAttempt.objects.count() <= settings.LOGIN_THROTTLE_MAX_PER_USER + 9 + per_day


def test_the_wait_never_exceeds_the_maximum_however_many_failures(settings):
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            account_id=ACCOUNT,
            login_name="admin",
            ip_address=_address(n),
            succeeded=False,
            created_at=NOW - timedelta(seconds=n * 60),
        )
        for n in range(5000)
    )

    assert 0 < _wait() <= settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS


def test_failures_older_than_the_name_window_are_not_counted(settings):
    old = NOW - timedelta(seconds=settings.LOGIN_THROTTLE_USER_WINDOW_SECONDS + 1)
    for n in range(30):
        _attempt(at=old - timedelta(seconds=n), ip=_address(n))

    assert _wait() is None


def test_an_address_that_logged_in_as_the_name_is_not_slowed_down(settings):
    _attempt(at=NOW - timedelta(days=29), ip="198.51.100.7", ok=True)
    for n in range(30):
        _attempt(at=NOW - timedelta(seconds=30 - n), ip=_address(n))

    assert _wait(ip="198.51.100.7") is None
    assert _wait(ip="198.51.100.8") > 0


def test_an_address_is_forgotten_after_the_known_device_days(settings):
    days = settings.LOGIN_THROTTLE_KNOWN_DEVICE_DAYS
    _attempt(at=NOW - timedelta(days=days, seconds=1), ip="198.51.100.7", ok=True)
    for n in range(30):
        _attempt(at=NOW - timedelta(seconds=30 - n), ip=_address(n))

    assert _wait(ip="198.51.100.7") > 0


# --- Known devices (rule 1) -------------------------------------------------------------


def test_a_known_device_is_not_held_back_by_others_failures(settings):
    for n in range(200):  # every other rule is over its limit
        _attempt(at=NOW - timedelta(seconds=n + 1), ip="203.0.113.1", name=f"user{n % 3}")
        _attempt(at=NOW - timedelta(seconds=n + 1), ip="203.0.113.1")

    assert _wait(ip="203.0.113.1") > 0
    assert _wait(ip="203.0.113.1", device="laptop") is None


def test_a_known_device_has_a_budget_of_its_own(settings):
    for second in range(settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS):
        _attempt(at=NOW - timedelta(seconds=5 - second), device="laptop")

    assert 0 < _wait(device="laptop") <= settings.LOGIN_THROTTLE_WINDOW_SECONDS
    assert _wait(device="phone") is None
    assert _wait() is None  # and those failures are not the name's


def _remember(request, name: str) -> str:
    """Log `name` in on this browser: the known-device cookie it then carries."""
    response = HttpResponse()
    throttle.known_device_remember(request=request, response=response, account_id=ACCOUNT, login_name=name)
    value = response.cookies[throttle.KNOWN_DEVICE_COOKIE].value
    request.COOKIES[throttle.KNOWN_DEVICE_COOKIE] = value
    return value


def test_the_known_device_cookie_round_trips_for_the_login_it_was_set_for():
    request = RequestFactory().get("/")

    _remember(request, "Admin")

    device_id = throttle.known_device_id(request, account_id=ACCOUNT, login_name="admin")
    assert len(device_id) > 16
    assert throttle.known_device_id(request, account_id=ACCOUNT, login_name="lpa") == ""
    assert throttle.known_device_id(request, account_id="le90000002", login_name="admin") == ""


def test_a_second_login_keeps_the_device_id_and_both_logins():
    request = RequestFactory().get("/")
    first = _remember(request, "admin")

    _remember(request, "lpa")

    device = throttle.known_device_get(request)
    assert device.logins == (f"{ACCOUNT}:admin", f"{ACCOUNT}:lpa")
    request.COOKIES[throttle.KNOWN_DEVICE_COOKIE] = first
    assert throttle.known_device_get(request).device_id == device.device_id


def test_a_tampered_known_device_cookie_is_ignored():
    request = RequestFactory().get("/")
    value = _remember(request, "admin")

    request.COOKIES[throttle.KNOWN_DEVICE_COOKIE] = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")

    assert throttle.known_device_get(request) is None


# --- The message --------------------------------------------------------------------------


def test_the_refusal_says_how_long_to_wait(settings):
    last = settings.LOGIN_THROTTLE_MAX_PER_USER - 1
    for n in range(last + 1):
        _attempt(at=NOW - timedelta(seconds=last - n), ip=_address(n))

    with pytest.raises(LoginError) as refused:
        login_throttle_check(account_id=ACCOUNT, login_name="admin", ip_address="198.51.100.7", now=NOW)

    assert refused.value.status == 429
    assert refused.value.message == "Too many failed logins. Try again in 2 seconds."
    assert refused.value.retry_after == 2
