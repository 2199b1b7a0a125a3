"""The /ws/session/ socket through the full ASGI application, a real session and Redis."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts.models import User
from connector_site.asgi import application

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def session_cookie(client, transactional_db):
    user = User.objects.create(username="90000001:admin", lp_account_id="90000001", lp_login_name="admin")
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _communicator(cookie: str | None = None, origin=ORIGIN):
    headers = [origin]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/session/", headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_it_refuses_an_anonymous_socket():
    communicator = _communicator()

    connected, _ = await communicator.connect()

    assert not connected
    await communicator.disconnect()


async def test_it_refuses_a_foreign_origin(session_cookie):
    communicator = _communicator(session_cookie, origin=(b"origin", b"https://evil.example"))

    connected, _ = await communicator.connect()

    assert not connected
    await communicator.disconnect()


async def test_it_greets_a_logged_in_user(session_cookie):
    communicator = _communicator(session_cookie)

    connected, _ = await communicator.connect()

    assert connected
    assert await communicator.receive_json_from() == {
        "type": "session.state",
        "account_id": "90000001",
        "login_name": "admin",
    }
    await communicator.disconnect()


async def test_logout_elsewhere_ends_every_open_socket(client, session_cookie):
    first, second = _communicator(session_cookie), _communicator(session_cookie)
    for communicator in (first, second):
        assert (await communicator.connect())[0]
        await communicator.receive_json_from()

    await sync_to_async(client.post)("/accounts/logout/")

    for communicator in (first, second):
        assert await communicator.receive_json_from(timeout=5) == {
            "type": "session.ended",
            "reason": "logout",
        }
        assert (await communicator.receive_output(timeout=5))["type"] == "websocket.close"
