"""sandbox.connector_auth and sandbox.tokens: the AppJWT and ConsumerJWS checks (§5)."""

import time
import uuid

import pytest

from sandbox import connector_auth, tokens
from sandbox.models import Account, Installation
from sandbox.services import sandbox_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def installation():
    sandbox_seed()
    return Installation.objects.create(
        account=Account.objects.get(account_id="90000001"),
        client_id=str(uuid.uuid4()),
        client_secret="right",
        client_id_issued_at=int(time.time()),
        data={},
    )


def _app_jwt(installation) -> str:
    return connector_auth.app_jwt_issue(
        account_id="90000001", client_id=installation.client_id, client_secret="right"
    )


def _code(**headers) -> int:
    with pytest.raises(connector_auth.ConnectorAuthError) as caught:
        connector_auth.send_api_caller(account_id="90000001", **headers)
    return caught.value.error_code


def test_a_token_round_trips_only_for_its_kind():
    token = tokens.token_encode({"a": 1}, kind=tokens.APP_JWT)

    assert tokens.token_decode(token, kind=tokens.APP_JWT) == {"a": 1}
    assert tokens.token_decode(token, kind=tokens.CONSUMER_JWS) is None
    assert tokens.token_decode("x.y", kind=tokens.APP_JWT) is None
    assert tokens.token_decode("!!.??.**", kind=tokens.APP_JWT) is None


def test_a_wrong_secret_gets_no_app_jwt(installation):
    assert (
        connector_auth.app_jwt_issue(
            account_id="90000001", client_id=installation.client_id, client_secret="x"
        )
        is None
    )


def test_an_app_jwt_for_another_account_is_invalid(installation):
    app_jwt = _app_jwt(installation)

    with pytest.raises(connector_auth.ConnectorAuthError) as caught:
        connector_auth.installation_for_app_jwt(account_id="le90000002", authorization=app_jwt)

    assert caught.value.error_code == 40102


def test_an_app_jwt_not_issued_by_sentinel_misses_a_parameter(installation):
    forged = tokens.token_encode(
        {"aud": "90000001", "azp": installation.client_id, "exp": 2**40}, kind=tokens.APP_JWT
    )

    assert _code(authorization=forged, on_behalf="x") == 40001


def test_the_checks_come_in_livepersons_order(installation):
    app_jwt = _app_jwt(installation)

    assert _code(authorization="", on_behalf="") == 40105
    assert _code(authorization=app_jwt, on_behalf="") == 40104
    assert _code(authorization="garbage", on_behalf="x") == 40102
    assert _code(authorization=app_jwt, on_behalf="x") == 40103


def test_a_consumer_jws_of_an_unknown_consumer_is_invalid(installation):
    jws = tokens.token_encode(
        {"account_id": "90000001", "lp_consumer_id": "f" * 64}, kind=tokens.CONSUMER_JWS
    )

    assert _code(authorization=_app_jwt(installation), on_behalf=jws) == 40103


def test_the_caller_is_the_installation_and_its_consumer(installation):
    app_jwt = _app_jwt(installation)
    jws = connector_auth.consumer_jws_issue(installation=installation, ext_consumer_id="c1")

    caller = connector_auth.send_api_caller(
        account_id="90000001", authorization=f"Bearer {app_jwt}", on_behalf=jws
    )

    assert caller.installation == installation
    assert caller.consumer.ext_consumer_id == "c1"
