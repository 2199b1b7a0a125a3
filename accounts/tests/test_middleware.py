"""Keeping the LivePerson session alive while the user is active."""

import pytest

from accounts.lp_session import SESSION_KEY
from conftest import ADMIN
from sandbox.models import LoginSession


@pytest.fixture
def logged_in(client, sandbox):
    client.post("/accounts/login/", ADMIN)
    return client


def _make_due(client, **changes):
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "next_refresh_at": 0, **changes}
    session.save()


def test_it_refreshes_the_liveperson_session_when_due(logged_in, sandbox):
    _make_due(logged_in)

    assert logged_in.get("/").status_code == 200

    assert len(sandbox.requests_to("agentVep", "/refresh")) == 1
    assert LoginSession.objects.get().refreshed_at is not None
    assert logged_in.session[SESSION_KEY]["next_refresh_at"] > 0


def test_it_does_not_refresh_before_it_is_due(logged_in, sandbox):
    logged_in.get("/")

    assert sandbox.requests_to("agentVep", "/refresh") == []


def test_it_logs_out_when_liveperson_ended_the_session(logged_in, sandbox):
    LoginSession.objects.update(ended_at="2000-01-01T00:00:00Z")
    _make_due(logged_in)

    response = logged_in.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b"Your LivePerson session has ended. Please log in again." in response.content


def test_it_logs_out_once_the_session_ttl_has_passed(logged_in, sandbox):
    _make_due(logged_in, expires_at=1.0)

    response = logged_in.get("/", follow=True)

    assert b"Your LivePerson session has ended." in response.content
    assert sandbox.requests_to("agentVep", "/refresh") == []


def test_it_stays_logged_in_when_liveperson_is_briefly_unreachable(logged_in, sandbox):
    sandbox.fault("down", service="agentVep")
    _make_due(logged_in)

    assert logged_in.get("/").status_code == 200
    # It tries again soon rather than on every request.
    assert logged_in.session[SESSION_KEY]["next_refresh_at"] > 0
