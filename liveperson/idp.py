"""IdP: the ConsumerJWS that lets an app act for one consumer (docs/LIVEPERSON.md,
'Connector authorization: ConsumerJWS').

https://developers.liveperson.com/connector-api-send-api-authorization-and-authentication.html
"""

from pydantic import SecretStr

from liveperson import errors, transport

SERVICE = "idp"


def get_consumer_jws(*, base_uri: str, account_id: str, app_jwt: str, ext_consumer_id: str) -> SecretStr:
    """A ConsumerJWS for the app's consumer `ext_consumer_id` (it never expires).

    https://developers.liveperson.com/connector-api-send-api-authorization-and-authentication.html
    """
    response = transport.request(
        "POST",
        transport.service_url(base_uri, f"/api/account/{transport.account_path(account_id)}/consumer"),
        service=SERVICE,
        params={"v": "1.0"},
        headers={"Authorization": app_jwt, "Content-Type": "application/json", "Accept": "application/json"},
        json={"ext_consumer_id": ext_consumer_id},
    )
    body = transport.json_body(response, service=SERVICE)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.UnexpectedResponseError(f"{SERVICE}: answer has no token", service=SERVICE)
    return SecretStr(token)
