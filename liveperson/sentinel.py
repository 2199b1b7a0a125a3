"""Sentinel: the AppJWT of a Connector API app (docs/LIVEPERSON.md,
'Connector authorization: AppJWT').

https://developers.liveperson.com/connector-api-send-api-authorization-and-authentication.html
"""

import time
from dataclasses import dataclass

import jwt
from pydantic import SecretStr

from liveperson import errors, transport

SERVICE = "sentinel"
# LivePerson's AppJWTs live an hour; assumed when a token cannot be read.
DEFAULT_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class AppJwt:
    """An AppJWT and when it expires (epoch seconds, from its `exp` claim)."""

    token: SecretStr
    expires_at: float


def get_app_jwt(*, base_uri: str, account_id: str, client_id: str, client_secret: str) -> AppJwt:
    """An AppJWT for the app's client credentials.

    The credentials go in the form body, as documented, never in the query
    string (the original app put them there, where they end up in access logs).
    https://developers.liveperson.com/connector-api-send-api-authorization-and-authentication.html
    """
    response = transport.request(
        "POST",
        transport.service_url(
            base_uri, f"/sentinel/api/account/{transport.account_path(account_id)}/app/token"
        ),
        service=SERVICE,
        params={"v": "1.0", "grant_type": "client_credentials"},
        headers={"Accept": "application/json"},
        data={"client_id": client_id, "client_secret": client_secret},
    )
    body = transport.json_body(response, service=SERVICE)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.UnexpectedResponseError(f"{SERVICE}: answer has no access_token", service=SERVICE)
    return AppJwt(token=SecretStr(token), expires_at=_expires_at(token))


def _expires_at(token: str) -> float:
    """The token's `exp` claim, read without verifying the signature (only
    LivePerson can verify it; we only need to know when to ask again)."""
    try:
        return float(jwt.decode(token, options={"verify_signature": False})["exp"])
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        return time.time() + DEFAULT_LIFETIME_SECONDS
