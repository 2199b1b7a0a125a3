"""Login Service calls through real HTTP against the sandbox."""

import logging

import pytest

from conftest import ADMIN, AGENT
from liveperson import csds, errors, transport
from liveperson import login as lp_login
from sandbox.models import LoginSession


def _login(credentials=ADMIN):
    return lp_login.login(
        base_uri=csds.get_base_uri(credentials["account_id"], "agentVep"),
        account_id=credentials["account_id"],
        username=credentials["login_name"],
        password=credentials["password"],
    )


def _session_args(lp):
    return {
        "base_uri": csds.get_base_uri("90000001", "agentVep"),
        "account_id": "90000001",
        "session_id": lp.session_id.get_secret_value(),
        "csrf": lp.response.csrf.get_secret_value(),
    }


def test_it_logs_in_and_parses_the_answer(sandbox):
    lp = _login()

    session = LoginSession.objects.get()
    assert lp.response.config.loginName == "admin"
    assert lp.response.config.isAdmin is True
    assert lp.response.config.userId == "1000000001"
    assert lp.response.sessionTTl == 28_800_000
    assert lp.response.bearer.get_secret_value() == session.bearer
    assert lp.session_id.get_secret_value() == session.session_id
    assert lp.response.csdsCollectionResponse.as_map()["agentVep"].endswith("/sandbox/agentvep")


def test_it_sends_the_documented_request(sandbox):
    _login()

    (request,) = sandbox.requests_to("agentVep", "/login")
    assert request.path == "/sandbox/agentvep/api/account/90000001/login"
    assert request.query == {"v": ["1.3"]}
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"username": "admin", "password": "********"}


def test_it_reports_a_plain_agent_as_neither_admin_nor_lpa(sandbox):
    config = _login(AGENT).response.config

    assert (config.isAdmin, config.isLPA) == (False, False)


def test_a_wrong_password_raises_unauthorized(sandbox):
    with pytest.raises(errors.UnauthorizedError):
        _login({**ADMIN, "password": "wrong"})


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, errors.UnexpectedResponseError),
        (403, errors.ForbiddenError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (412, errors.ConflictError),
        (429, errors.RateLimitedError),
        (500, errors.UnexpectedResponseError),
    ],
)
def test_each_error_status_has_its_exception(sandbox, status, error_class):
    agent_vep = csds.get_base_uri("90000001", "agentVep")
    sandbox.fault("status", service="agentVep", status=status)

    with pytest.raises(error_class) as caught:
        lp_login.login(base_uri=agent_vep, account_id="90000001", username="admin", password="x")

    assert caught.value.status == status
    assert caught.value.service == "agentVep"


def test_rate_limited_carries_retry_after(sandbox):
    agent_vep = csds.get_base_uri("90000001", "agentVep")
    sandbox.fault("status", service="agentVep", status=429)

    with pytest.raises(errors.RateLimitedError) as caught:
        lp_login.login(base_uri=agent_vep, account_id="90000001", username="admin", password="x")

    assert caught.value.retry_after == 30


def test_a_login_post_is_never_retried(sandbox, settings):
    settings.LIVEPERSON_RETRIES = 3
    agent_vep = csds.get_base_uri("90000001", "agentVep")
    sandbox.fault("down", service="agentVep")

    with pytest.raises(errors.UnexpectedResponseError):
        lp_login.login(base_uri=agent_vep, account_id="90000001", username="admin", password="x")

    assert len(sandbox.requests_to("agentVep", "/login")) == 1


def test_a_slow_login_times_out(sandbox, settings):
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="agentVep", delay=1.0)

    with pytest.raises(errors.TimedOutError):
        _login()


def test_a_login_answer_of_the_wrong_shape_raises_unexpected_response(sandbox):
    agent_vep = csds.get_base_uri("90000001", "agentVep")
    sandbox.fault("garbage", service="agentVep")

    with pytest.raises(errors.UnexpectedResponseError):
        lp_login.login(base_uri=agent_vep, account_id="90000001", username="admin", password="x")


def test_refresh_keeps_the_session(sandbox):
    lp = _login()

    lp_login.refresh(**_session_args(lp))

    (request,) = sandbox.requests_to("agentVep", "/refresh")
    assert request.headers["Cookie"] == "********"  # it was sent; the log masks it
    assert request.body == {"csrf": "********"}
    assert LoginSession.objects.get().refreshed_at is not None


def test_refresh_with_a_wrong_csrf_is_unauthorized(sandbox):
    lp = _login()

    with pytest.raises(errors.UnauthorizedError):
        lp_login.refresh(**{**_session_args(lp), "csrf": "not-the-csrf"})


def test_logout_ends_the_session(sandbox):
    lp = _login()

    lp_login.logout(**_session_args(lp))

    assert LoginSession.objects.get().ended_at is not None
    with pytest.raises(errors.UnauthorizedError):
        lp_login.refresh(**_session_args(lp))


def test_the_shared_http_session_keeps_no_liveperson_cookie(sandbox):
    _login()

    assert len(transport.get_session().cookies) == 0


def test_no_secret_reaches_the_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    lp = _login()
    lp_login.refresh(**_session_args(lp))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "liveperson agentVep POST" in logged
    for secret in (
        ADMIN["password"],
        lp.response.bearer.get_secret_value(),
        lp.response.csrf.get_secret_value(),
        lp.session_id.get_secret_value(),
    ):
        assert secret not in logged
    assert lp.response.bearer.get_secret_value() not in repr(lp)
