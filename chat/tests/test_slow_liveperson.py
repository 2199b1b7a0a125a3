"""A slow LivePerson must neither delay nor duplicate the consumer's messages
(docs/LIVEPERSON.md, 'Slow answers and duplicates'): chat states never hold a message
back and are coalesced; a SEND whose answer timed out is looked for (webhook echo,
history) before the consumer is told it failed; a retry never sends it twice.

The sandbox's slow fault answers after a delay and then carries the request out, as a
slow LivePerson does; the timeouts are shortened instead of waiting for real ones."""

import asyncio
import threading
import time

import pytest

from chat import actions
from chat.consumers import NOT_ARRIVED
from chat.tests.conftest import frames_until, has_text, socket, start
from core.offloop import off_loop
from sandbox.models import MessagingEvent

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = 2.0  # seconds the sandbox's Send API takes to answer
TIMEOUT = 0.5  # our read timeout: shorter than SLOW, so every SEND times out


async def _connected(chat, client):
    communicator = socket(f"/ws/chat/{chat.pk}/", client)
    assert (await communicator.connect())[0]
    return communicator


def _stored_texts(chat, text: str) -> int:
    """How many times the sandbox (LivePerson) holds the consumer's message `text`."""
    return MessagingEvent.objects.filter(
        conversation__conversation_id=chat.conversation_id,
        role="CONSUMER",
        event__type="ContentEvent",
        event__message=text,
    ).count()


async def _until(condition) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.02)


def _sent_or_error(ref: str):
    return lambda frame: frame["type"] in ("sent", "error") and frame.get("ref") == ref


@pytest.fixture
def blocked_chat_states(monkeypatch):
    """Chat states that LivePerson answers only when the test says so (an injected
    delay); the states carried out, in order."""
    release = threading.Event()
    carried_out = []
    real = actions.conversation_chat_state

    def slow_chat_state(*, conversation, state):
        carried_out.append(state)
        release.wait(timeout=30)
        return real(conversation=conversation, state=state)

    monkeypatch.setattr(actions, "conversation_chat_state", slow_chat_state)
    return release, carried_out


async def test_a_message_never_waits_behind_a_slow_chat_state(admin, chat_app, workers, blocked_chat_states):
    release, carried_out = blocked_chat_states
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(chat, admin)

    for state in ("COMPOSING", "PAUSE", "ACTIVE", "GONE"):
        await communicator.send_json_to({"action": "chat_state", "state": state})
    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "not held back"})

    # Sent while the first chat state still waits for LivePerson.
    frames = await frames_until(communicator, _sent_or_error("r1"))
    assert frames[-1]["type"] == "sent"
    assert isinstance(frames[-1]["sequence"], int)
    assert carried_out == ["COMPOSING"]
    release.set()
    # Only the newest of those queued behind the slow one is sent; the others are stale.
    # (One more, once the second has started, marks the end: the lane keeps its order.)
    await _until(lambda: len(carried_out) >= 2)
    await communicator.send_json_to({"action": "chat_state", "state": "ACTIVE"})
    await _until(lambda: len(carried_out) >= 3)
    assert carried_out == ["COMPOSING", "GONE", "ACTIVE"]
    await communicator.disconnect()


async def test_a_send_that_timed_out_but_arrived_is_confirmed_not_failed(
    admin, chat_app, workers, sandbox, settings
):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(chat, admin)
    await frames_until(communicator, lambda f: f["type"] == "conversation")
    settings.LIVEPERSON_READ_TIMEOUT = TIMEOUT
    await off_loop(sandbox.fault)("slow", service="asyncMessagingEnt", delay=SLOW)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "slow but sure"})

    frames = await frames_until(communicator, _sent_or_error("r1"))
    unconfirmed = [f for f in frames if f["type"] == "unconfirmed"]
    assert [f["ref"] for f in unconfirmed] == ["r1"]
    assert frames[-1]["type"] == "sent"  # never "error": it did arrive
    assert frames[-1]["reconciled"] is True
    echoes = [
        e["payload"]
        for f in frames
        if f["type"] == "events"
        for e in f["events"]
        if (e["payload"].get("event") or {}).get("message") == "slow but sure"
    ]
    if echoes:  # the echo usually comes through the socket before the check finds it
        assert frames[-1]["sequence"] == echoes[0]["sequence"]
    assert frames[-1]["dialog_id"] == chat.main_dialog_id
    assert await off_loop(_stored_texts)(chat, "slow but sure") == 1
    await communicator.disconnect()


async def test_a_retry_of_a_message_that_arrived_late_sends_nothing(
    admin, chat_app, workers, sandbox, settings
):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(chat, admin)
    await frames_until(communicator, lambda f: f["type"] == "conversation")
    settings.LIVEPERSON_READ_TIMEOUT = TIMEOUT
    settings.CHAT_SEND_RECONCILE_SECONDS = 0.2  # gives up before the slow SEND is carried out
    fault = await off_loop(sandbox.fault)("slow", service="asyncMessagingEnt", delay=SLOW)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "late"})
    frames = await frames_until(communicator, _sent_or_error("r1"))
    failed = frames[-1]
    assert (failed["type"], failed["retry"], failed["message"]) == ("error", True, NOT_ARRIVED)
    assert isinstance(failed["since"], int)
    # It arrives after all; then the consumer retries.
    await frames_until(communicator, has_text("late", "CONSUMER"))
    await off_loop(fault.delete)()
    retry = {"action": "send_text", "ref": "r2", "text": "late", "since": failed["since"]}
    await communicator.send_json_to(retry)

    frames = await frames_until(communicator, _sent_or_error("r2"))
    assert (frames[-1]["type"], frames[-1]["reconciled"]) == ("sent", True)
    assert await off_loop(_stored_texts)(chat, "late") == 1
    await communicator.disconnect()


async def test_a_retry_of_a_message_that_never_arrived_sends_it_once(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(chat, admin)
    retry = {"action": "send_text", "ref": "r1", "text": "once", "since": int(time.time() * 1000) - 60_000}

    await communicator.send_json_to(retry)

    frames = await frames_until(communicator, _sent_or_error("r1"))
    assert frames[-1]["type"] == "sent"
    assert "reconciled" not in frames[-1]
    assert await off_loop(_stored_texts)(chat, "once") == 1
    await communicator.disconnect()
