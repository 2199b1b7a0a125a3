"""Account Config: feature grants and the App Install API, both on the account's
`accountConfigReadWrite` host, authenticated with the login bearer
(docs/LIVEPERSON.md, 'Async Messaging feature check' and 'App Install API').

No public reference page documents the installation CRUD; paths and headers
follow what LivePerson's own demo app sends (docs/LIVEPERSON.md, 'App Install API').
"""

from dataclasses import dataclass

from liveperson import errors, transport

SERVICE = "accountConfigReadWrite"
ASYNC_MESSAGING_FEATURE = "Common.Async_Messaging"
# LivePerson's demo app identifies itself this way on writes.
USER_AGENT = "Connector App Hub"


@dataclass(frozen=True)
class Credentials:
    """Who calls: the account, its accountConfigReadWrite host and a login bearer."""

    base_uri: str
    account_id: str
    bearer: str


@dataclass(frozen=True)
class Revisioned:
    """An installation (or the list of them) with the `ac-revision` it was read at."""

    data: dict | list
    revision: str


def get_async_messaging(creds: Credentials) -> bool | None:
    """Whether the account has Async Messaging; None when the feature is not listed.

    No public reference page documents it: docs/LIVEPERSON.md, 'Async Messaging feature check'.
    """
    response = transport.request(
        "GET",
        _url(creds, "/configuration/provision/featureGrants"),
        service=SERVICE,
        params={"v": "1.0", "excludeLegacy": "true", "jsonProvider": "gson"},
        headers=_headers(creds),
    )
    for item in _feature_items(transport.json_body(response, service=SERVICE)):
        if item.get("compoundFeatureID") == ASYNC_MESSAGING_FEATURE and not item.get("isDeleted"):
            return bool((item.get("value") or {}).get("value"))
    return None


def list_installations(creds: Credentials) -> Revisioned:
    """Every installation of the account (all scopes)."""
    response = transport.request(
        "GET", _url(creds, _INSTALLATIONS), service=SERVICE, params=_VERSION, headers=_headers(creds)
    )
    body = transport.json_body(response, service=SERVICE)
    if not isinstance(body, list):
        raise errors.UnexpectedResponseError(f"{SERVICE}: installations are not a list", service=SERVICE)
    return Revisioned(data=body, revision=response.headers.get("ac-revision", ""))


def get_installation(creds: Credentials, app_id: str) -> Revisioned:
    """One installation and the revision to send back when changing it."""
    response = transport.request(
        "GET", _url(creds, _installation(app_id)), service=SERVICE, params=_VERSION, headers=_headers(creds)
    )
    return _revisioned(response)


def create_installation(creds: Credentials, installation: dict) -> Revisioned:
    """Install a new app; LivePerson assigns its client id and secret.

    Any 2xx is a success; its body is the installation only when LivePerson sends one
    (else `data` is {}: docs/LIVEPERSON.md, 'Response bodies')."""
    response = transport.request(
        "POST",
        _url(creds, _INSTALLATIONS),
        service=SERVICE,
        params=_VERSION,
        headers=_headers(creds, write=True),
        json=installation,
    )
    return _written(response)


def update_installation(creds: Credentials, app_id: str, installation: dict, revision: str) -> Revisioned:
    """Replace an installation; a stale `revision` raises ConflictError. As for a create,
    `data` is {} when the 2xx answer carries no installation."""
    response = transport.request(
        "PUT",
        _url(creds, _installation(app_id)),
        service=SERVICE,
        params=_VERSION,
        headers={**_headers(creds, write=True), "If-Match": revision, "X-HTTP-Method-Override": "PUT"},
        json=installation,
    )
    return _written(response)


def delete_installation(creds: Credentials, app_id: str, revision: str) -> None:
    """Uninstall an app; a stale `revision` raises ConflictError."""
    transport.request(
        "DELETE",
        _url(creds, _installation(app_id)),
        service=SERVICE,
        params=_VERSION,
        headers={**_headers(creds, write=True), "If-Match": revision},
    )


_VERSION = {"v": "1.0"}
_INSTALLATIONS = "/configuration/app-install/installations"


def _installation(app_id: str) -> str:
    return f"{_INSTALLATIONS}/{transport.path_segment(app_id)}"


def _url(creds: Credentials, path: str) -> str:
    return transport.service_url(
        creds.base_uri, f"/api/account/{transport.account_path(creds.account_id)}{path}"
    )


def _headers(creds: Credentials, *, write: bool = False) -> dict:
    headers = {"Authorization": f"Bearer {creds.bearer}", "Accept": "application/json"}
    if write:
        headers["User-Agent"] = USER_AGENT
    return headers


def _revisioned(response) -> Revisioned:
    body = transport.json_body(response, service=SERVICE)
    if not isinstance(body, dict):
        raise errors.UnexpectedResponseError(f"{SERVICE}: installation is not an object", service=SERVICE)
    return Revisioned(data=body, revision=response.headers.get("ac-revision", ""))


def _written(response) -> Revisioned:
    """A write's answer: the installation when the body is one, else {} (the demo app only
    checks for a 2xx: docs/LIVEPERSON.md, 'Response bodies'); a body that is not JSON
    raises AnswerUnreadableError."""
    body = transport.write_answer(response, service=SERVICE)
    installation = body if isinstance(body, dict) and (body.get("client_id") or body.get("id")) else {}
    return Revisioned(data=installation, revision=response.headers.get("ac-revision", ""))


def _feature_items(body) -> list:
    try:
        return body["appDataList"][0]["accountList"]["accountList"][0]["itemsCollection"]["data"]
    except (KeyError, IndexError, TypeError):
        raise errors.UnexpectedResponseError(
            f"{SERVICE}: unexpected featureGrants answer", service=SERVICE
        ) from None
