"""Connector authorization of the sandbox: Sentinel's AppJWT, the IdP's
ConsumerJWS, and the checks the Send API makes on both
(docs/LIVEPERSON.md, the 'Connector authorization' sections).
"""

import hmac
import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction

from sandbox import tokens
from sandbox.models import Account, Consumer, Installation

ISSUER = "Sentinel"
SCOPE = "msg.consumer"
# Checked in this order; a missing `exp` is an invalid AppJWT, any other a missing parameter.
APP_JWT_CLAIMS = ("iss", "aud", "azp", "exp")


class ConnectorAuthError(Exception):
    """A refusal: HTTP 401 with LivePerson's title, details and error code
    (docs/LIVEPERSON.md, 'Connector authorization: error responses')."""

    def __init__(self, error_code: int, title: str, details: str):
        super().__init__(f"{error_code} {title}: {details}")
        self.error_code = error_code
        self.title = title
        self.details = details


def missing_parameter(details: str = "Brand Id is missing") -> ConnectorAuthError:
    return ConnectorAuthError(40001, "Missing parameter", details)


def invalid_app_jwt() -> ConnectorAuthError:
    return ConnectorAuthError(40102, "Invalid AppJWT", "AppJWT has expired or is invalid")


def invalid_consumer_jws() -> ConnectorAuthError:
    return ConnectorAuthError(40103, "Invalid ConsumerJWS", "ConsumerJWS is invalid")


def missing_consumer_jws() -> ConnectorAuthError:
    return ConnectorAuthError(40104, "ConsumerJWS is missing", "X_ON_BEHALF_HEADER is not present")


def missing_app_jwt() -> ConnectorAuthError:
    return ConnectorAuthError(40105, "AppJWT is missing", "AUTHORIZATION header is not present")


@dataclass(frozen=True)
class Caller:
    """Who a Send API request comes from: the app (AppJWT) acting for a consumer (ConsumerJWS)."""

    account: Account
    installation: Installation
    consumer: Consumer


# --- Sentinel -------------------------------------------------------------------


def app_jwt_issue(*, account_id: str, client_id: str, client_secret: str) -> str | None:
    """An AppJWT for an installation's credentials, or None when they are wrong."""
    installation = (
        Installation.objects.live()
        .select_related("account")
        .filter(account__account_id=account_id, client_id=client_id)
        .first()
    )
    if installation is None or not hmac.compare_digest(
        installation.client_secret.encode(), (client_secret or "").encode()
    ):
        return None
    issued = int(time.time())
    claims = {
        "aud": account_id,
        "azp": client_id,
        "scope": SCOPE,
        "iss": ISSUER,
        "exp": issued + settings.SANDBOX_APP_JWT_SECONDS,
        "iat": issued,
    }
    return tokens.token_encode(claims, kind=tokens.APP_JWT)


def installation_for_app_jwt(*, account_id: str, authorization: str) -> Installation:
    """The installation an `Authorization` header's AppJWT was issued to.

    The header is the raw token (docs/LIVEPERSON.md, 'Connector authorization: headers on
    Send API calls'); "Bearer <token>" is not a JWT, so it is an invalid AppJWT (40102).
    """
    token = (authorization or "").strip()
    if not token:
        raise missing_app_jwt()
    claims = _app_jwt_claims(token, account_id=account_id)
    installation = (
        Installation.objects.live()
        .select_related("account")
        .filter(account__account_id=account_id, client_id=claims["azp"])
        .first()
    )
    if installation is None:
        raise invalid_app_jwt()
    return installation


def _app_jwt_claims(token: str, *, account_id: str) -> dict:
    """The claims of an AppJWT Sentinel issued for the account, or its refusal:
    40001 when a claim of Sentinel's is missing or not Sentinel's, 40102 for
    anything else (a bad signature, expired, another account's)."""
    try:
        return tokens.token_decode(
            token, kind=tokens.APP_JWT, issuer=ISSUER, audience=account_id, require=APP_JWT_CLAIMS
        )
    except jwt.MissingRequiredClaimError as exc:
        if exc.claim == "exp":
            raise invalid_app_jwt() from exc
        raise missing_parameter("AppJWT claims are missing or invalid") from exc
    except jwt.InvalidIssuerError as exc:
        raise missing_parameter("AppJWT claims are missing or invalid") from exc
    except jwt.InvalidTokenError as exc:
        raise invalid_app_jwt() from exc


# --- IdP ------------------------------------------------------------------------


def consumer_jws_issue(*, installation: Installation, ext_consumer_id: str) -> str:
    """A ConsumerJWS for the app's consumer, creating the consumer the first time."""
    consumer = _consumer_for(installation.account, ext_consumer_id)
    claims = {
        "account_id": installation.account.account_id,
        "ext_consumer_id": consumer.ext_consumer_id,
        "lp_consumer_id": consumer.lp_consumer_id,
    }
    return tokens.token_encode(claims, kind=tokens.CONSUMER_JWS)


def _consumer_for(account: Account, ext_consumer_id: str) -> Consumer:
    existing = Consumer.objects.filter(account=account, ext_consumer_id=ext_consumer_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Consumer.objects.create(
                account=account, ext_consumer_id=ext_consumer_id, lp_consumer_id=secrets.token_hex(32)
            )
    except IntegrityError:  # created meanwhile by a concurrent request for the same consumer
        return Consumer.objects.get(account=account, ext_consumer_id=ext_consumer_id)


# --- The Send API's checks --------------------------------------------------------


def send_api_caller(*, account_id: str, authorization: str, on_behalf: str) -> Caller:
    """Check both headers of a Send API call and say who calls (docs/LIVEPERSON.md,
    'Connector authorization: headers on Send API calls').

    LivePerson checks the AppJWT first: with both headers missing it answers 40105.
    """
    if not (authorization or "").strip():
        raise missing_app_jwt()
    if not (on_behalf or "").strip():
        raise missing_consumer_jws()
    installation = installation_for_app_jwt(account_id=account_id, authorization=authorization)
    try:
        claims = tokens.token_decode(on_behalf.strip(), kind=tokens.CONSUMER_JWS)
    except jwt.InvalidTokenError as exc:
        raise invalid_consumer_jws() from exc
    if claims.get("account_id") != account_id:
        raise invalid_consumer_jws()
    consumer = Consumer.objects.filter(
        account=installation.account, lp_consumer_id=claims.get("lp_consumer_id") or ""
    ).first()
    if consumer is None:
        raise invalid_consumer_jws()
    return Caller(account=installation.account, installation=installation, consumer=consumer)
