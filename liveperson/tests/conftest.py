"""A Connector API app installed in the sandbox, and a consumer of it, for the
client tests (all over real HTTP to the sandbox)."""

import time
import uuid
from dataclasses import dataclass

import pytest

from conftest import ADMIN
from liveperson import csds, idp, login, send_api, sentinel
from sandbox.models import Account, Installation

ACCOUNT_ID = "90000001"


@dataclass
class App:
    """An installation's credentials and the account's service hosts."""

    account_id: str
    client_id: str
    client_secret: str

    def base_uri(self, service: str) -> str:
        return csds.get_base_uri(self.account_id, service)

    def app_jwt(self) -> str:
        return sentinel.get_app_jwt(
            base_uri=self.base_uri(sentinel.SERVICE),
            account_id=self.account_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
        ).token.get_secret_value()

    def consumer(self, ext_consumer_id: str | None = None, *, features=()) -> send_api.ConsumerAuth:
        app_jwt = self.app_jwt()
        jws = idp.get_consumer_jws(
            base_uri=self.base_uri(idp.SERVICE),
            account_id=self.account_id,
            app_jwt=app_jwt,
            ext_consumer_id=ext_consumer_id or str(uuid.uuid4()),
        )
        return send_api.ConsumerAuth(app_jwt=app_jwt, consumer_jws=jws.get_secret_value(), features=features)

    def open(self, auth: send_api.ConsumerAuth, **request_conversation) -> send_api.Opened:
        return send_api.open_conversation(
            base_uri=self.base_uri(send_api.SERVICE),
            account_id=self.account_id,
            auth=auth,
            user_profile={"firstName": "Kim", "lastName": "", "role": "consumer"},
            request_conversation={"skillId": "-1", **request_conversation},
        )

    def send(self, auth: send_api.ConsumerAuth, request: dict) -> dict:
        return send_api.send(
            base_uri=self.base_uri(send_api.SERVICE), account_id=self.account_id, auth=auth, request=request
        )

    def text(self, auth: send_api.ConsumerAuth, conversation_id: str, message: str) -> dict:
        event = send_api.text_event(message)
        request = send_api.publish_event(
            conversation_id=conversation_id, dialog_id=conversation_id, event=event
        )
        return self.send(auth, request)

    def bearer(self) -> str:
        session = login.login(
            base_uri=self.base_uri(login.SERVICE),
            account_id=self.account_id,
            username=ADMIN["login_name"],
            password=ADMIN["password"],
        )
        return session.response.bearer.get_secret_value()


def install_app(account_id: str = ACCOUNT_ID) -> Installation:
    """An installation straight in the sandbox's database (its API is tested elsewhere)."""
    return Installation.objects.create(
        account=Account.objects.get(account_id=account_id),
        client_id=str(uuid.uuid4()),
        client_secret=f"secret-{uuid.uuid4().hex}",
        client_id_issued_at=int(time.time()),
        data={"client_name": "Client tests", "scope": "msg.consumer", "enabled": True},
    )


@pytest.fixture
def app(sandbox) -> App:
    installation = install_app()
    return App(ACCOUNT_ID, installation.client_id, installation.client_secret)
