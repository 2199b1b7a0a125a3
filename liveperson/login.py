"""Login Service API on the account's agentVep host (docs/LIVEPERSON.md,
'Login Service and session').

https://developers.liveperson.com/login-service-api-methods-user-login.html
"""

from dataclasses import dataclass

import pydantic
from pydantic import SecretStr

from liveperson import errors, transport
from liveperson.schemas import LoginResponse

SERVICE = "agentVep"
SESSION_COOKIE = "Session_id"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True)
class LoginSession:
    """A logged-in LivePerson user: the answer, the `Session_id` cookie, and the
    agentVep host that issued them (refresh and logout must go there too)."""

    response: LoginResponse
    session_id: SecretStr
    base_uri: str


def login(*, base_uri: str, account_id: str, username: str, password: str) -> LoginSession:
    """Log a user in with login name and password.

    https://developers.liveperson.com/login-service-api-methods-user-login.html
    """
    response = transport.request(
        "POST",
        transport.service_url(base_uri, f"/api/account/{transport.account_path(account_id)}/login"),
        service=SERVICE,
        params={"v": "1.3"},
        headers=JSON_HEADERS,
        json={"username": username, "password": password},
    )
    try:
        parsed = LoginResponse.model_validate(transport.json_body(response, service=SERVICE))
    except pydantic.ValidationError:
        raise errors.UnexpectedResponseError(f"{SERVICE}: unexpected login answer", service=SERVICE) from None
    session_id = SecretStr(response.cookies.get(SESSION_COOKIE, ""))
    return LoginSession(response=parsed, session_id=session_id, base_uri=base_uri)


def refresh(*, base_uri: str, account_id: str, session_id: str, csrf: str) -> None:
    """Keep a login session alive; LivePerson advises every 3-5 minutes.

    https://developers.liveperson.com/login-service-api-methods-refresh.html
    """
    _session_call("refresh", base_uri, account_id, session_id, csrf)


def logout(*, base_uri: str, account_id: str, session_id: str, csrf: str) -> None:
    """End a login session.

    https://developers.liveperson.com/login-service-api-methods-logout.html
    """
    _session_call("logout", base_uri, account_id, session_id, csrf)


def _session_call(action: str, base_uri: str, account_id: str, session_id: str, csrf: str) -> None:
    transport.request(
        "POST",
        transport.service_url(base_uri, f"/api/account/{transport.account_path(account_id)}/{action}"),
        service=SERVICE,
        headers=JSON_HEADERS,
        cookies={SESSION_COOKIE: session_id},
        json={"csrf": csrf},
    )
