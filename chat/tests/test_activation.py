"""A chat on a just-created demo app, while LivePerson's Webhooks does not know the app yet
(docs/LIVEPERSON.md, 'Webhook activation'): no webhook arrives, so the chat says so and
fills the agent's messages in from the messaging history; once webhooks arrive, it says
they work and stops.

The sandbox account behaves like LivePerson here (two minutes); the end of the delay is
the sandbox's switch turned to 0, not two minutes of waiting."""

import pytest

from chat.tests.conftest import frames_until, has_text, socket, start
from core.offloop import off_loop
from sandbox.agent import AUTO_MESSAGE
from sandbox.models import Account, Notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def not_recognised_yet(sandbox, settings):
    """Like LivePerson: a new app's webhooks start up to two minutes after it was installed,
    and the chat knows it; the history is read often, for the test's sake."""
    Account.objects.filter(account_id="90000001").update(webhook_activation_seconds=120)
    settings.LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS = 120
    settings.CHAT_HISTORY_POLL_SECONDS = 0.2


def _history_texts(frames: list[dict], sent_by: str) -> list[str]:
    return [
        r["text"]
        for f in frames
        if f["type"] == "history" and f.get("live")
        for r in f["records"]
        if r["sent_by"] == sent_by
    ]


def _webhooks_recognised() -> None:
    Account.objects.filter(account_id="90000001").update(webhook_activation_seconds=0)


async def test_agent_messages_during_the_delay_come_from_history(
    not_recognised_yet, admin, chat_app, workers
):
    chat = await off_loop(start)(admin, chat_app, first_message="Hello")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    frames = await frames_until(communicator, lambda f: "You said: Hello" in _history_texts([f], "agent"))
    assert "webhooks_pending" in [f["type"] for f in frames]
    assert AUTO_MESSAGE in _history_texts(frames, "agent")
    assert _history_texts(frames, "consumer") == ["Hello"]
    assert "webhooks_active" not in [f["type"] for f in frames]
    dropped = await off_loop(Notification.objects.filter(conversation_id=chat.conversation_id).count)()
    assert dropped > 0  # LivePerson (the sandbox) really sent none of them

    # The agent answers during the delay: the consumer sees it, from the history.
    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "still there?"})
    answered = "You said: still there?"
    frames = await frames_until(communicator, lambda f: answered in _history_texts([f], "agent"))
    assert "webhooks_active" not in [f["type"] for f in frames]

    # Webhooks start: the next events come as webhooks, and the notice goes.
    await off_loop(_webhooks_recognised)()
    await communicator.send_json_to({"action": "send_text", "ref": "r2", "text": "and now?"})
    frames = await frames_until(communicator, lambda f: f["type"] == "webhooks_active")
    assert any(f["type"] == "events" for f in frames)
    await communicator.send_json_to({"action": "send_text", "ref": "r3", "text": "last"})
    after = await frames_until(communicator, has_text("You said: last", "ASSIGNED_AGENT"))
    assert "history" not in [f["type"] for f in after]  # a webhook; the history is not read any more
    await communicator.disconnect()


async def test_no_notice_once_the_conversation_has_webhooks(admin, chat_app, workers, settings):
    settings.LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS = 120  # the app is new, but its webhooks came
    chat = await off_loop(start)(admin, chat_app, first_message="Hello")
    first = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await first.connect())[0]
    await frames_until(first, lambda f: f["type"] == "events")
    await first.disconnect()

    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    frames = await frames_until(communicator, lambda f: f["type"] == "requests")
    assert not {"webhooks_pending", "history"} & {f["type"] for f in frames}
    await communicator.disconnect()


async def test_a_slow_send_during_the_delay_is_found_in_the_history(
    not_recognised_yet, admin, chat_app, workers, sandbox, settings
):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await frames_until(communicator, lambda f: f["type"] == "webhooks_pending")
    settings.LIVEPERSON_READ_TIMEOUT = 0.5
    settings.CHAT_SEND_RECONCILE_SECONDS = 60  # far longer than the test may wait: found before
    settings.CHAT_RECONCILE_POLL_SECONDS = 0.2
    await off_loop(sandbox.fault)("slow", service="asyncMessagingEnt", delay=1.5)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "no webhook for me"})

    # No webhook will ever bring its echo: the history does.
    answered = await frames_until(communicator, lambda f: f["type"] in ("sent", "error") and f.get("ref"))
    frames = [f for f in answered if f.get("ref") == "r1"]
    assert (frames[-1]["type"], frames[-1]["reconciled"]) == ("sent", True)
    await communicator.disconnect()
