"""The login page, logging in through real HTTP against the sandbox LivePerson."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.lp_session import SESSION_KEY
from accounts.models import LoginAttempt, User
from accounts.throttle import KNOWN_DEVICE_COOKIE
from conftest import ADMIN, AGENT, LPA, QA_ADMIN
from sandbox.models import Account, LoginSession

LOGIN_URL = "/accounts/login/"
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def _post(client, credentials, data=None, **request_extra):
    return client.post(LOGIN_URL, {**credentials, **(data or {})}, **request_extra)


def test_it_shows_the_form(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert b'name="account_id"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_an_administrator_logs_in_and_lands_home(client, sandbox):
    response = _post(client, ADMIN)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert b"Account 90000001" in home.content
    assert b"Administrator" in home.content


def test_an_lpa_user_logs_in(client, sandbox):
    assert _post(client, LPA).status_code == 302


def test_a_qa_account_logs_in_through_the_qa_domain(client, sandbox):
    assert _post(client, QA_ADMIN).status_code == 302
    assert sandbox.requests_to("csds")[0].path.startswith("/sandbox/csds-qa/")


def test_a_plain_agent_is_refused_with_the_reason(client, sandbox):
    response = _post(client, AGENT)

    assert response.status_code == 200
    assert b"Only administrators or LPA users can log in." in response.content
    assert "_auth_user_id" not in client.session
    # The LivePerson session it opened is closed again.
    assert LoginSession.objects.get().ended_at is not None


def test_it_maps_each_liveperson_user_to_one_django_user(client, sandbox):
    for credentials in (ADMIN, ADMIN, QA_ADMIN):
        _post(client, credentials)
        client.post("/accounts/logout/")

    users = User.objects.order_by("username")
    assert [u.username for u in users] == ["90000001:admin", "le90000002:admin"]
    assert not users[0].has_usable_password()
    assert users[0].lp_user_id == "1000000001"


def test_it_keeps_liveperson_secrets_out_of_the_page_and_cookies(client, sandbox):
    response = _post(client, ADMIN, follow=True)

    lp = LoginSession.objects.get()
    exposed = response.content.decode() + " ".join(c.value for c in response.cookies.values())
    for secret in (lp.bearer, lp.csrf, lp.session_id, ADMIN["password"]):
        assert secret not in exposed
    assert client.session[SESSION_KEY]["bearer"] == lp.bearer  # server-side only


def test_it_gives_a_new_session_id_at_login(client, sandbox):
    client.get(LOGIN_URL)
    client.session.save()
    before = client.session.session_key

    _post(client, ADMIN)

    assert client.session.session_key != before


def test_the_session_ends_no_later_than_liveperson_session_ttl(client, sandbox):
    Account.objects.filter(account_id="90000001").update(session_ttl_ms=120_000)

    _post(client, ADMIN)

    remaining = client.session.get_expiry_age()
    assert 100 < remaining <= 120
    assert client.session[SESSION_KEY]["expires_at"] <= time.time() + 120


def test_a_wrong_password_is_reported(client, sandbox):
    response = _post(client, {**ADMIN, "password": "wrong"})

    assert b"Wrong account, login name or password." in response.content


def test_an_unknown_account_is_reported(client, sandbox):
    response = _post(client, {**ADMIN, "account_id": "55555555"})

    assert b"LivePerson does not know the account 55555555." in response.content


def test_an_unreachable_liveperson_is_reported(client, settings, db):
    settings.CSDS_DOMAIN = "127.0.0.1:9"
    settings.LIVEPERSON_SCHEME = "http"
    settings.LIVEPERSON_RETRIES = 0

    response = _post(client, ADMIN)

    assert response.status_code == 503
    assert b"LivePerson cannot be reached right now." in response.content


def test_a_slow_liveperson_is_reported(client, sandbox, settings):
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="agentVep", delay=1.0)

    response = _post(client, ADMIN)

    assert response.status_code == 503
    assert b"LivePerson did not answer in time." in response.content


def test_a_liveperson_that_is_down_is_reported(client, sandbox):
    sandbox.fault("down", service="agentVep")

    response = _post(client, ADMIN)

    assert b"LivePerson had a problem (HTTP 503)." in response.content


def test_an_unexpected_answer_is_reported(client, sandbox):
    sandbox.fault("garbage", service="agentVep")

    response = _post(client, ADMIN)

    assert response.status_code == 503
    assert b"LivePerson had a problem" in response.content


def test_an_account_id_with_odd_characters_is_a_form_error(client, db):
    response = _post(client, {**ADMIN, "account_id": "../90000001"})

    assert b"An account ID has only letters, digits" in response.content


def test_repeated_failures_for_one_user_at_one_address_are_throttled(client, sandbox):
    for _ in range(settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS):
        _post(client, {**ADMIN, "password": "wrong"})

    response = _post(client, ADMIN)  # even the right password waits, from this address

    assert response.status_code == 429
    assert b"Too many failed logins. Try again in 15 minutes." in response.content
    assert 890 <= int(response["Retry-After"]) <= 900
    assert len(sandbox.requests_to("agentVep", "/login")) == settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS


def test_throttling_ignores_the_case_of_the_login_name(client, sandbox):
    for _ in range(settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS):
        _post(client, {**ADMIN, "login_name": "ADMIN", "password": "wrong"})

    assert _post(client, ADMIN).status_code == 429


def test_repeated_failures_from_one_address_are_throttled(client, sandbox, settings):
    settings.LOGIN_THROTTLE_MAX_PER_ADDRESS = 3
    for name in ("a", "b", "c"):
        _post(client, {**ADMIN, "login_name": name})

    assert _post(client, ADMIN).status_code == 429
    # Another address is not affected.
    assert _post(client, ADMIN, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_repeated_failures_across_one_account_are_throttled(client, sandbox, settings):
    settings.LOGIN_THROTTLE_MAX_PER_ACCOUNT = 3
    for number, name in enumerate(("a", "b", "c")):
        _post(client, {**ADMIN, "login_name": name}, REMOTE_ADDR=f"10.0.0.{number}")

    assert _post(client, ADMIN, REMOTE_ADDR="10.0.0.99").status_code == 429
    # Another account is not affected.
    assert _post(client, QA_ADMIN, REMOTE_ADDR="10.0.0.99").status_code == 302


def test_the_login_form_requires_the_csrf_token(sandbox):
    csrf_client = Client(enforce_csrf_checks=True)

    assert csrf_client.post(LOGIN_URL, ADMIN).status_code == 403


def test_people_of_two_accounts_are_logged_in_at_once_each_seeing_their_own(sandbox):
    first, second = Client(), Client()
    first.post(LOGIN_URL, ADMIN)
    second.post(LOGIN_URL, QA_ADMIN)

    assert b"Account 90000001" in first.get("/").content
    assert b"le90000002" not in first.get("/").content
    assert b"Account le90000002" in second.get("/").content
    assert b"90000001 " not in second.get("/").content


def test_behind_a_proxy_it_throttles_the_forwarded_address(client, sandbox, settings):
    settings.LOGIN_THROTTLE_MAX_PER_ADDRESS = 2
    settings.NUM_PROXIES = 1
    for name in ("a", "b"):
        _post(client, {**ADMIN, "login_name": name}, HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert _post(client, ADMIN, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert _post(client, ADMIN, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
    assert LoginAttempt.objects.filter(ip_address="203.0.113.5").count() == 2


def test_a_success_restarts_that_users_count_and_keeps_the_failures_in_the_log(sandbox):
    fewer = settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS - 1
    for _ in range(fewer):
        _post(Client(), {**ADMIN, "password": "wrong"})
    assert _post(Client(), ADMIN).status_code == 302

    for _ in range(fewer):
        _post(Client(), {**ADMIN, "password": "wrong"})

    assert _post(Client(), ADMIN).status_code == 302
    assert LoginAttempt.objects.filter(succeeded=False).count() == 2 * fewer
    assert LoginAttempt.objects.filter(succeeded=True).count() == 2


# --- A guesser must not lock out the real user --------------------------------------


def _attack(times: int, address: str = ATTACKER) -> Client:
    attacker = Client(REMOTE_ADDR=address)
    for _ in range(times):
        _post(attacker, {**ADMIN, "password": "guess"})
    return attacker


def test_an_attacker_failing_50_times_does_not_stop_the_admin_at_another_address(sandbox):
    _attack(50)

    assert _post(Client(REMOTE_ADDR=ELSEWHERE), ADMIN).status_code == 302


def test_an_attacker_failing_50_times_does_not_stop_the_admin_on_a_known_device_at_his_address(sandbox):
    admin = Client(REMOTE_ADDR=ATTACKER)  # e.g. one office behind one NAT address
    assert _post(admin, ADMIN).status_code == 302
    admin.post("/accounts/logout/")

    attacker = _attack(50)

    assert _post(admin, ADMIN).status_code == 302
    assert _post(attacker, ADMIN).status_code == 429  # the same address without the cookie


def test_an_attacker_failing_50_times_is_throttled(sandbox):
    attacker = _attack(50)

    response = _post(attacker, {**ADMIN, "password": "guess"})

    assert response.status_code == 429
    assert b"Too many failed logins. Try again in 15 minutes." in response.content
    tried = len(sandbox.requests_to("agentVep", "/login"))
    assert tried == settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS


def test_a_forged_known_device_cookie_is_ignored(sandbox):
    attacker = _attack(settings.LOGIN_THROTTLE_MAX_PER_USER_ADDRESS)
    attacker.cookies[KNOWN_DEVICE_COOKIE] = '{"d": "x", "u": ["90000001:admin"]}'

    assert _post(attacker, ADMIN).status_code == 429


def test_a_login_makes_the_browser_a_known_device_for_the_login_page_only(client, sandbox):
    response = _post(client, ADMIN)

    cookie = response.cookies[KNOWN_DEVICE_COOKIE]
    assert cookie["path"] == LOGIN_URL
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.LOGIN_THROTTLE_KNOWN_DEVICE_DAYS * 24 * 60 * 60


def _distributed_failures(count: int) -> None:
    """`count` failures for admin from as many addresses, the latest a second ago."""
    now = timezone.now()
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            account_id=ADMIN["account_id"],
            login_name="admin",
            ip_address=f"10.1.{n // 250}.{n % 250 + 1}",
            succeeded=False,
            reason="bad_credentials",
            created_at=now - timedelta(seconds=count - n),
        )
        for n in range(count)
    )


def test_a_distributed_guess_makes_a_new_address_wait_no_longer_than_the_maximum(client, sandbox):
    _distributed_failures(60)

    response = _post(client, ADMIN, REMOTE_ADDR=ELSEWHERE)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS
    assert b"Try again in 15 minutes." in response.content
    assert not sandbox.requests_to("agentVep", "/login")


def test_a_distributed_guess_does_not_slow_an_address_that_logged_in_as_the_name(client, sandbox):
    LoginAttempt.objects.create(
        account_id=ADMIN["account_id"],
        login_name="admin",
        ip_address=ELSEWHERE,
        succeeded=True,
        created_at=timezone.now() - timedelta(days=7),
    )
    _distributed_failures(60)

    assert _post(client, ADMIN, REMOTE_ADDR=ELSEWHERE).status_code == 302


def test_it_follows_a_safe_next_url(client, sandbox):
    response = _post(client, ADMIN, {"next": "/admin/"})

    assert response["Location"] == "/admin/"


def test_it_ignores_an_offsite_next_url(client, sandbox):
    response = _post(client, ADMIN, {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_a_disabled_local_user_cannot_log_in(client, sandbox):
    User.objects.create(
        username="90000001:admin", lp_account_id="90000001", lp_login_name="admin", is_active=False
    )

    response = _post(client, ADMIN)

    assert b"This user has been disabled on this site." in response.content


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


@pytest.mark.django_db
def test_the_admin_login_page_points_liveperson_users_here(client):
    response = client.get("/admin/login/?next=/admin/")

    assert b"log in with your LivePerson account" in response.content
    assert b'href="/accounts/login/?next=/admin/"' in response.content
