"""webhooks.conversations, the conversations' functions for other apps."""

import pytest

from webhooks import conversations
from webhooks.models import Conversation
from webhooks.tests import factories

pytestmark = pytest.mark.django_db

CHANGE = "cqm.ExConversationChangeNotification"


def test_ensure_creates_the_conversation_before_its_first_webhook():
    made = conversations.conversation_ensure(
        account_id=factories.ACCOUNT, conversation_id="conv-1", client_id=factories.CLIENT_ID
    )

    assert Conversation.objects.get() == made
    assert (made.client_id, made.last_seq) == (factories.CLIENT_ID, 0)


def test_ensure_returns_the_conversation_a_webhook_made():
    stored = factories.conversation("conv-1", client_id="webhook-app")

    found = conversations.conversation_ensure(
        account_id=factories.ACCOUNT, conversation_id="conv-1", client_id="chat-app"
    )

    assert found == stored
    assert found.client_id == "webhook-app"


def test_newest_events_are_of_the_kind_asked_newest_first_and_limited():
    conv = factories.conversation("conv-1")
    changes = [factories.event(conv, event_type="UPSERT") for _ in range(3)]
    factories.event(conv)
    factories.event(factories.conversation("conv-1", account_id=factories.OTHER_ACCOUNT), event_type="UPSERT")

    newest = conversations.conversation_newest_events(
        account_id=factories.ACCOUNT, conversation_id="conv-1", notification_type=CHANGE, limit=2
    )

    assert [event["seq"] for event in newest] == [changes[2].seq, changes[1].seq]
    assert newest[0] == changes[2].as_message()
