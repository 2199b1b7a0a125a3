"""The demo chat against the sandbox over real HTTP, with real signed webhooks.

LivePerson is the sandbox on pytest-django's live server (CSDS points at it).
Its webhooks go to a real daphne process (the receiver is plain ASGI, outside
Django's URLs): the sandbox's dispatcher and scripted agent run in background
threads here, as the worker would, and daphne broadcasts what it stores
through Redis to the sockets under test.
"""

import threading
from contextlib import contextmanager

import pytest
from channels.testing import WebsocketCommunicator

from apps_admin import services as apps_services
from apps_admin.models import Installation
from apps_admin.tests.conftest import _logged_in, lp_of
from chat import starting
from chat.models import ChatConversation
from conftest import ADMIN, QA_ADMIN
from connector_site.asgi import application
from sandbox import agent as sandbox_agent
from sandbox import dispatcher as sandbox_dispatcher
from webhooks import ingest

TIMEOUT = 10


@contextmanager
def running_workers(*, poll: float = 0.02):
    """The sandbox's webhook dispatcher and scripted agent, each in a background thread."""
    stop = threading.Event()

    def agent_forever():
        from django.db import connection

        try:
            while not stop.is_set():
                if not sandbox_agent.run_due():
                    stop.wait(poll)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=sandbox_dispatcher.run_forever, args=(stop,), kwargs={"poll": poll}, daemon=True
        ),
        threading.Thread(target=agent_forever, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


@pytest.fixture(autouse=True)
def _close_writers():
    yield
    ingest.close_writers()


@pytest.fixture
def admin(client, sandbox):
    """A user of account 90000001 logged in through the sandbox's Login Service."""
    return _logged_in(client, ADMIN)


@pytest.fixture
def qa_admin(sandbox):
    from django.test import Client

    return _logged_in(Client(), QA_ADMIN)


@pytest.fixture
def chat_app(admin, daphne_server, settings) -> Installation:
    """A demo app of account 90000001 whose webhooks go to the daphne process."""
    settings.SANDBOX_AGENT_DELAY_SCALE = 0
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    endpoint = f"https://{daphne_server.host}/notifications/event"
    created = apps_services.installation_create(
        lp=lp_of(admin), name="Chat app", description="The demo chat's app", endpoint=endpoint
    )
    return Installation.objects.get(client_id=created["client_id"])


@pytest.fixture
def workers(chat_app, settings):
    """Dispatcher and agent running; stopped before the test settings are restored."""
    with running_workers():
        yield


def user_of(client):
    from accounts.models import User

    return User.objects.get(pk=client.session["_auth_user_id"])


def start(client, app: Installation, *, first_message: str = "Hello", **options) -> ChatConversation:
    """Open a conversation as the client's user, as the start page does."""
    # A survey needs its features (chat.starting refuses it otherwise).
    survey = starting.SURVEY_FEATURES if options.get("survey_skill_id") else []
    options = {"consumer_name": "Kim", "features": ["AUTO_MESSAGES", *survey], **options}
    return starting.conversation_start(
        user=user_of(client),
        lp=lp_of(client),
        client_id=app.client_id,
        options=starting.StartOptions(**options),
        first_message=first_message,
    )


def socket(path: str, client=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def frames_until(communicator, predicate, *, timeout: float = TIMEOUT) -> list[dict]:
    """Every frame received up to and including the first one `predicate` accepts."""
    import asyncio

    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            frames.append(frame)
            if predicate(frame):
                return frames


def texts(frames: list[dict], role: str | None = None) -> list[str]:
    """Texts of the ContentEvents in `frames` (by originator role, when given)."""
    found = []
    for frame in frames:
        for event in frame.get("events", []) if frame["type"] == "events" else []:
            change = event["payload"]
            content = change.get("event") or {}
            if content.get("type") != "ContentEvent" or not isinstance(content.get("message"), str):
                continue
            if role is None or (change.get("originatorMetadata") or {}).get("role") == role:
                found.append(content["message"])
    return found


def has_text(text: str, role: str | None = None):
    return lambda frame: text in texts([frame], role)
