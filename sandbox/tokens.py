"""Tokens of the sandbox's Sentinel and IdP, made and checked with PyJWT.

Real JWTs, so that clients can read the claims as they would LivePerson's, but
signed with HS256 under a key derived from SECRET_KEY instead of LivePerson's
RS256 keys: nobody but the sandbox has to verify them. Each kind of token has
its own key, so a ConsumerJWS can never pass for an AppJWT.
"""

import hashlib
from collections.abc import Sequence

import jwt
from django.conf import settings

APP_JWT = "appjwt"
CONSUMER_JWS = "consumerjws"
ALGORITHM = "HS256"


def token_encode(claims: dict, *, kind: str) -> str:
    """A signed token carrying `claims`, its header naming the kind's key (`kid`)."""
    return jwt.encode(claims, _key(kind), algorithm=ALGORITHM, headers={"kid": f"sandbox-{kind}"})


def token_decode(
    token: str,
    *,
    kind: str,
    issuer: str | None = None,
    audience: str | None = None,
    require: Sequence[str] = (),
) -> dict:
    """The claims of a token this sandbox signed for `kind`.

    PyJWT checks the signature, `exp` and `iat` when present, `issuer` and
    `audience` when given, and that each claim in `require` is there; it raises
    a subclass of jwt.InvalidTokenError saying which check failed.
    """
    return jwt.decode(
        token,
        _key(kind),
        algorithms=[ALGORITHM],
        issuer=issuer,
        audience=audience,
        # Without an audience to compare, a token's `aud` is only read.
        options={"require": list(require), "verify_aud": audience is not None},
    )


def _key(kind: str) -> bytes:
    return hashlib.sha256(f"sandbox-{kind}:{settings.SECRET_KEY}".encode()).digest()
