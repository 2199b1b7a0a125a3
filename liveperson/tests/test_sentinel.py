"""Sentinel (AppJWT) through real HTTP against the sandbox."""

import base64
import json
import logging
import time

import pytest

from liveperson import errors, sentinel
from sandbox.models import Installation


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _get(app, **overrides):
    args = {
        "base_uri": app.base_uri(sentinel.SERVICE),
        "account_id": app.account_id,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    return sentinel.get_app_jwt(**{**args, **overrides})


def test_it_gets_an_app_jwt_with_liveperson_claims(app):
    jwt = _get(app)

    claims = _claims(jwt.token.get_secret_value())
    assert {k: claims[k] for k in ("aud", "azp", "scope", "iss")} == {
        "aud": "90000001",
        "azp": app.client_id,
        "scope": "msg.consumer",
        "iss": "Sentinel",
    }
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.expires_at == claims["exp"]


def test_the_lifetime_follows_the_setting(app, settings):
    settings.SANDBOX_APP_JWT_SECONDS = 120

    jwt = _get(app)

    claims = _claims(jwt.token.get_secret_value())
    assert claims["exp"] - claims["iat"] == 120


def test_it_sends_the_credentials_in_the_form_body_never_the_query(app, sandbox):
    _get(app)

    (request,) = sandbox.requests_to("sentinel", "/app/token")
    assert request.path == "/sandbox/sentinel/sentinel/api/account/90000001/app/token"
    assert request.query == {"v": ["1.0"], "grant_type": ["client_credentials"]}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == {"client_id": [app.client_id], "client_secret": "********"}


def test_a_wrong_secret_is_unauthorized(app):
    with pytest.raises(errors.UnauthorizedError):
        _get(app, client_secret="wrong")


def test_an_uninstalled_app_is_unauthorized(app):
    Installation.objects.filter(client_id=app.client_id).update(deleted=True)

    with pytest.raises(errors.UnauthorizedError):
        _get(app)


def test_another_accounts_app_is_unauthorized(app):
    with pytest.raises(errors.UnauthorizedError):
        _get(app, account_id="le90000002", base_uri=app.base_uri(sentinel.SERVICE))


def test_an_unreadable_token_is_assumed_to_live_an_hour():
    assert sentinel._expires_at("not-a-jwt") == pytest.approx(time.time() + 3600, abs=60)


def test_no_secret_reaches_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG)

    jwt = _get(app)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "liveperson sentinel POST" in logged
    assert app.client_secret not in logged
    assert jwt.token.get_secret_value() not in logged
    assert jwt.token.get_secret_value() not in repr(jwt)
