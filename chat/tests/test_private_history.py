"""A private note (messageAudience AGENTS_AND_MANAGERS) never reaches the consumer's
page through the restored history, against the sandbox over real HTTP
(docs/LIVEPERSON.md, 'Private messages')."""

import pytest

from chat.models import ChatConversation
from chat.tests.conftest import frames_until, socket, start
from core.offloop import off_loop
from sandbox import agent_desk
from sandbox.tests.agent_factories import drain

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Customer is a VIP"


def _with_private_note(admin, chat_app) -> ChatConversation:
    chat = start(admin, chat_app, first_message="Hello")
    drain()
    agent_desk.agent_send_private_note(conversation_id=chat.conversation_id, text=NOTE)
    agent_desk.agent_send_text(conversation_id=chat.conversation_id, text="Public answer")
    app = chat.installation
    app.endpoints = {kind: "https://example.com/hooks" for kind in app.endpoints}
    app.save(update_fields=["endpoints"])
    return chat


async def test_restored_history_never_holds_a_private_note(admin, chat_app):
    chat = await off_loop(_with_private_note)(admin, chat_app)
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    frames = await frames_until(communicator, lambda f: f["type"] == "history")

    texts = [r["text"] for r in frames[-1]["records"]]
    assert "Public answer" in texts
    assert NOTE not in texts
    await communicator.disconnect()
