"""sandbox.connector_auth and sandbox.tokens: the AppJWT and ConsumerJWS checks
(docs/LIVEPERSON.md, the 'Connector authorization' sections)."""

import base64
import hashlib
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings

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


def _forged_app_jwt(installation, **claims) -> str:
    issued = int(time.time())
    defaults = {"aud": "90000001", "azp": installation.client_id, "iss": "Sentinel", "exp": issued + 60}
    return tokens.token_encode({**defaults, **claims}, kind=tokens.APP_JWT)


def _header(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def test_a_token_round_trips_only_for_its_kind():
    token = tokens.token_encode({"a": 1}, kind=tokens.APP_JWT)

    assert tokens.token_decode(token, kind=tokens.APP_JWT) == {"a": 1}
    with pytest.raises(jwt.InvalidSignatureError):
        tokens.token_decode(token, kind=tokens.CONSUMER_JWS)
    for garbage in ("x.y", "!!.??.**", ""):
        with pytest.raises(jwt.DecodeError):
            tokens.token_decode(garbage, kind=tokens.APP_JWT)


def test_a_token_is_an_hs256_jwt_naming_its_key():
    token = tokens.token_encode({"a": 1}, kind=tokens.CONSUMER_JWS)

    assert _header(token) == {"alg": "HS256", "typ": "JWT", "kid": "sandbox-consumerjws"}


# The right key, too short for HS512: the algorithm, not the key, must be what is refused.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_another_algorithm_is_refused():
    key = hashlib.sha256(f"sandbox-appjwt:{settings.SECRET_KEY}".encode()).digest()
    token = jwt.encode({"a": 1}, key, algorithm="HS512")

    with pytest.raises(jwt.InvalidAlgorithmError):
        tokens.token_decode(token, kind=tokens.APP_JWT)


def test_an_unsigned_token_is_refused():
    token = jwt.encode({"a": 1}, None, algorithm="none")

    with pytest.raises(jwt.InvalidTokenError):
        tokens.token_decode(token, kind=tokens.APP_JWT)


def test_an_app_jwt_carries_sentinels_claims(installation):
    claims = jwt.decode(_app_jwt(installation), options={"verify_signature": False})

    assert set(claims) == {"aud", "azp", "scope", "iss", "exp", "iat"}
    assert (claims["aud"], claims["azp"], claims["iss"]) == ("90000001", installation.client_id, "Sentinel")
    assert claims["scope"] == "msg.consumer"
    assert claims["exp"] - claims["iat"] == settings.SANDBOX_APP_JWT_SECONDS


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


@pytest.mark.parametrize("claims", [{"iss": "Elsewhere"}, {"aud": None}, {"azp": None}])
def test_an_app_jwt_without_sentinels_claims_misses_a_parameter(installation, claims):
    forged = _forged_app_jwt(installation, **claims)

    assert _code(authorization=forged, on_behalf="x") == 40001


@pytest.mark.parametrize("claims", [{"exp": None}, {"exp": int(time.time()) - 1}, {"exp": "soon"}])
def test_an_app_jwt_expired_or_without_expiry_is_invalid(installation, claims):
    forged = _forged_app_jwt(installation, **claims)

    assert _code(authorization=forged, on_behalf="x") == 40102


def test_an_app_jwt_of_an_unknown_app_is_invalid(installation):
    forged = _forged_app_jwt(installation, azp="someone-else")

    assert _code(authorization=forged, on_behalf="x") == 40102


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


def test_a_consumer_jws_of_another_account_is_invalid(installation):
    jws = connector_auth.consumer_jws_issue(installation=installation, ext_consumer_id="c1")
    claims = jwt.decode(jws, options={"verify_signature": False})
    other = tokens.token_encode({**claims, "account_id": "le90000002"}, kind=tokens.CONSUMER_JWS)

    assert _code(authorization=_app_jwt(installation), on_behalf=other) == 40103


def test_an_app_jwt_is_no_consumer_jws(installation):
    app_jwt = _app_jwt(installation)

    assert _code(authorization=app_jwt, on_behalf=app_jwt) == 40103


def test_the_caller_is_the_installation_and_its_consumer(installation):
    app_jwt = _app_jwt(installation)
    jws = connector_auth.consumer_jws_issue(installation=installation, ext_consumer_id="c1")

    caller = connector_auth.send_api_caller(account_id="90000001", authorization=app_jwt, on_behalf=jws)

    assert caller.installation == installation
    assert caller.consumer.ext_consumer_id == "c1"


def test_a_bearer_prefixed_app_jwt_is_an_invalid_app_jwt(installation):
    # The Send API and the IdP take the raw AppJWT (docs/LIVEPERSON.md, 'Connector
    # authorization: headers on Send API calls'); "Bearer <AppJWT>" is not one.
    app_jwt = _app_jwt(installation)
    jws = connector_auth.consumer_jws_issue(installation=installation, ext_consumer_id="c1")

    assert _code(authorization=f"Bearer {app_jwt}", on_behalf=jws) == 40102
