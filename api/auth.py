"""Bearer-token authentication of the JSON API (accounts.access_tokens; docs/API.md)."""

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from accounts import access_tokens
from accounts.models import AccessToken


class AccessTokenAuth(HttpBearer):
    """An active access token whose scope allows `needs`.

    Unknown, revoked or missing tokens get 401; a valid token whose scope does not
    allow the API (a forward-only token) gets 403, so its owner knows the token
    works but is the wrong kind.
    """

    def __init__(self, *, needs: str):
        super().__init__()
        self.needs = needs

    def __call__(self, request: HttpRequest) -> AccessToken | None:
        # Not HttpBearer's own parsing: in DEBUG it logs a malformed header, token included.
        raw = access_tokens.bearer_token(request.headers)
        return self.authenticate(request, raw) if raw else None

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        found = access_tokens.authenticate(token, needs=self.needs)
        if found is None and access_tokens.authenticate(token, needs="forward") is not None:
            raise HttpError(403, f"This token's scope does not allow this request (it needs {self.needs}).")
        return found
