"""The consumer's credentials for the Send API (docs/LIVEPERSON.md, the
'Connector authorization' sections).

The AppJWT of an app is cached in the database (AppToken), so every process
shares it, and fetched again a minute before it expires. A Send API call that
LivePerson still refuses with 40102 (expired or invalid AppJWT) gets a fresh
token and is repeated once; one refused with 40103/40104 gets a fresh
ConsumerJWS for the same consumer and is repeated once. Nothing here is ever
logged or sent to the browser.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.utils import timezone

from apps_admin.models import Installation
from chat.models import AppToken, ChatConversation
from liveperson import csds, errors, idp, send_api, sentinel

logger = logging.getLogger(__name__)

# Fetch a new AppJWT this long before the cached one expires.
REFRESH_MARGIN = timedelta(seconds=60)
EXPIRED_APP_JWT = 40102

T = TypeVar("T")


class MissingSecretError(Exception):
    """This deployment does not know the app's client secret."""


def base_uri(account_id: str, service: str) -> str:
    """A service's host for the account, from CSDS (cached per process)."""
    return csds.get_base_uri(account_id, service)


def app_jwt(installation: Installation, *, refresh: bool = False) -> str:
    """The app's AppJWT: the cached one while it is valid, else a new one from sentinel."""
    if not refresh:
        cached = AppToken.objects.filter(
            installation=installation, expires_at__gt=timezone.now() + REFRESH_MARGIN
        ).first()
        if cached is not None:
            return cached.token
    return _fetch_app_jwt(installation)


def _fetch_app_jwt(installation: Installation) -> str:
    secret = installation.client_secret
    if not secret:
        raise MissingSecretError(installation.client_id)
    # Outside any transaction: two processes may fetch at once, and both tokens are valid.
    fetched = sentinel.get_app_jwt(
        base_uri=base_uri(installation.account_id, sentinel.SERVICE),
        account_id=installation.account_id,
        client_id=installation.client_id,
        client_secret=secret,
    )
    token = fetched.token.get_secret_value()
    AppToken.objects.update_or_create(
        installation=installation,
        defaults={
            "token": token,
            "expires_at": datetime.fromtimestamp(fetched.expires_at, tz=UTC),
            "fetched_at": timezone.now(),
        },
    )
    return token


def consumer_jws(installation: Installation, *, ext_consumer_id: str, app_token: str) -> str:
    """A ConsumerJWS from the IdP for this consumer (it never expires:
    docs/LIVEPERSON.md, 'Connector authorization: ConsumerJWS')."""
    return idp.get_consumer_jws(
        base_uri=base_uri(installation.account_id, idp.SERVICE),
        account_id=installation.account_id,
        app_jwt=app_token,
        ext_consumer_id=ext_consumer_id,
    ).get_secret_value()


def with_auth(
    installation: Installation,
    *,
    jws: Callable[[str, bool], str],
    features: list[str],
    call: Callable[[send_api.ConsumerAuth], T],
) -> T:
    """Run a Send API call with the app's AppJWT and the consumer's JWS, retrying
    once with a fresh AppJWT (40102) or a fresh ConsumerJWS (40103/40104).

    `jws(app_token, refresh)` gives the consumer's JWS, a new one when `refresh`.
    """
    token = app_jwt(installation)
    auth = _auth(token, jws(token, False), features)
    try:
        return call(auth)
    except errors.AppJwtInvalidError as exc:
        if exc.error_code != EXPIRED_APP_JWT:
            raise
        logger.info("AppJWT of app %s refused as expired; fetching a new one", installation.client_id)
        token = app_jwt(installation, refresh=True)
        auth = _auth(token, jws(token, False), features)
    except errors.ConsumerJwsInvalidError:
        logger.info("ConsumerJWS refused for app %s; asking the IdP again", installation.client_id)
        auth = _auth(token, jws(token, True), features)
    return call(auth)


def conversation_auth_call(conversation: ChatConversation, call: Callable[[send_api.ConsumerAuth], T]) -> T:
    """`with_auth` for an opened conversation, keeping a renewed ConsumerJWS."""

    def jws(token: str, refresh: bool) -> str:
        if refresh or not conversation.consumer_jws:
            conversation.consumer_jws = consumer_jws(
                conversation.installation, ext_consumer_id=conversation.ext_consumer_id, app_token=token
            )
            conversation.save(update_fields=["consumer_jws", "updated_at"])
        return conversation.consumer_jws

    return with_auth(conversation.installation, jws=jws, features=conversation.features, call=call)


def _auth(app_token: str, jws: str, features: list[str]) -> send_api.ConsumerAuth:
    return send_api.ConsumerAuth(app_jwt=app_token, consumer_jws=jws, features=tuple(features))
