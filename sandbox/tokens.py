"""Tokens of the sandbox's Sentinel and IdP (shared/liveperson-api.md §5.1-5.2).

Real JWT structure (base64url header.payload.signature) so that clients can
read the claims as they would LivePerson's, but signed with HS256 under a key
derived from SECRET_KEY instead of LivePerson's RS256 keys: nobody but the
sandbox has to verify them, and the standard library is enough (no new
dependency). Each kind of token has its own key, so a ConsumerJWS can never
pass for an AppJWT.
"""

import base64
import hashlib
import hmac
import json

from django.conf import settings

APP_JWT = "appjwt"
CONSUMER_JWS = "consumerjws"


def token_encode(claims: dict, *, kind: str) -> str:
    """A signed token carrying `claims`."""
    header = {"alg": "HS256", "typ": "JWT", "kid": f"sandbox-{kind}"}
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}"
    return f"{signing_input}.{_b64(_signature(signing_input, kind))}"


def token_decode(token: str, *, kind: str) -> dict | None:
    """The claims of a token this sandbox signed for `kind`, or None.

    Expiry is the caller's business: an expired token has its own error code.
    """
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    signing_input = f"{parts[0]}.{parts[1]}"
    try:
        signature = _unb64(parts[2])
        claims = json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(signing_input, kind)):
        return None
    return claims if isinstance(claims, dict) else None


def _signature(signing_input: str, kind: str) -> bytes:
    key = hashlib.sha256(f"sandbox-{kind}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, signing_input.encode(), hashlib.sha256).digest()


def _b64_json(value: dict) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc
