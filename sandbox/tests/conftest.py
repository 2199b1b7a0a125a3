import threading
from contextlib import contextmanager

import pytest

from sandbox import dispatcher as sandbox_dispatcher
from sandbox.models import MessagingConversation
from sandbox.services import sandbox_seed, webhook_activation_set
from sandbox.tests.agent_factories import drain, open_conversation, sandbox_installation
from sandbox.tests.webhook_endpoint import Endpoint


@pytest.fixture
def endpoint():
    """An app's webhook endpoint on loopback (see webhook_endpoint.Endpoint)."""
    server = Endpoint().start()
    yield server
    server.stop()


@contextmanager
def running_dispatchers(count: int = 1, *, poll: float = 0.02):
    """`count` dispatchers in background threads, each with its own database connection,
    as several workers would run them; stopped (current posts finished) on exit."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=sandbox_dispatcher.run_forever, args=(stop,), kwargs={"poll": poll}, daemon=True
        )
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield threads
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


@pytest.fixture
def seeded(transactional_db):
    """The sandbox accounts, committed so that dispatcher threads see them; new apps get
    their webhooks at once (LivePerson's activation delay is tested on its own)."""
    sandbox_seed()
    webhook_activation_set(seconds=0)


@pytest.fixture
def dispatcher(seeded, settings):
    """The webhook dispatcher running in the background, against the test database.

    Retry delays are scaled down 100x, so the real policy runs quickly; it depends
    on `settings` so that it stops before test settings are restored.
    """
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    with running_dispatchers() as threads:
        yield threads


# --- The scripted agent's tests (test_agent*.py) ----------------------------------


@pytest.fixture
def instant_agent(settings):
    """The agent's reading and typing pauses scaled to nothing."""
    settings.SANDBOX_AGENT_DELAY_SCALE = 0


@pytest.fixture
def installation(db):
    """A seeded sandbox and an enabled app listening to every webhook type, at once
    (no activation delay)."""
    sandbox_seed()
    webhook_activation_set(seconds=0)
    return sandbox_installation()


@pytest.fixture
def conversation(installation):
    """An open conversation of that app that takes structured content and quick replies,
    with the agent's opening work done."""
    opened = open_conversation(installation, features=["RICH_CONTENT", "QUICK_REPLIES"])
    drain()
    return MessagingConversation.objects.get(pk=opened.pk)
