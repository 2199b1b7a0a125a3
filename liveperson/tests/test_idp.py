"""IdP (ConsumerJWS) through real HTTP against the sandbox."""

import base64
import json
import re

import pytest

from liveperson import errors, idp
from sandbox.models import Consumer


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _get(app, app_jwt: str, ext_consumer_id: str = "consumer-1") -> str:
    return idp.get_consumer_jws(
        base_uri=app.base_uri(idp.SERVICE),
        account_id=app.account_id,
        app_jwt=app_jwt,
        ext_consumer_id=ext_consumer_id,
    ).get_secret_value()


def test_it_gets_a_consumer_jws_for_a_new_consumer(app):
    token = _get(app, app.app_jwt())

    consumer = Consumer.objects.get()
    assert _claims(token) == {
        "account_id": "90000001",
        "ext_consumer_id": "consumer-1",
        "lp_consumer_id": consumer.lp_consumer_id,
    }
    assert re.fullmatch(r"[0-9a-f]{64}", consumer.lp_consumer_id)


def test_the_same_external_id_is_the_same_consumer(app):
    app_jwt = app.app_jwt()

    first, second = _get(app, app_jwt), _get(app, app_jwt)

    assert _claims(first)["lp_consumer_id"] == _claims(second)["lp_consumer_id"]
    assert Consumer.objects.count() == 1


def test_another_external_id_is_another_consumer(app):
    app_jwt = app.app_jwt()

    first, second = _get(app, app_jwt, "a"), _get(app, app_jwt, "b")

    assert _claims(first)["lp_consumer_id"] != _claims(second)["lp_consumer_id"]


def test_it_sends_the_raw_app_jwt_as_documented(app, sandbox):
    _get(app, app.app_jwt())

    (request,) = sandbox.requests_to("idp", "/consumer")
    assert request.path == "/sandbox/idp/api/account/90000001/consumer"
    assert request.query == {"v": ["1.0"]}
    assert request.headers["Authorization"] == "********"
    assert request.body == {"ext_consumer_id": "consumer-1"}


def test_an_expired_app_jwt_raises_app_jwt_invalid(app, settings):
    settings.SANDBOX_APP_JWT_SECONDS = -1
    expired = app.app_jwt()

    with pytest.raises(errors.AppJwtInvalidError) as caught:
        _get(app, expired)

    assert caught.value.error_code == 40102
    assert caught.value.detail == "Invalid AppJWT: AppJWT has expired or is invalid"


def test_a_forged_app_jwt_raises_app_jwt_invalid(app):
    header, payload, _ = app.app_jwt().split(".")

    with pytest.raises(errors.AppJwtInvalidError):
        _get(app, f"{header}.{payload}.c2lnbmF0dXJl")
