"""Client-Properties features, enforced as LivePerson does (docs/LIVEPERSON.md, 'Features'):
no survey without the features it needs, no structured content without RICH_CONTENT, no quick
replies without QUICK_REPLIES, and AUTO_MESSAGES only on its conditions."""

import pytest

from sandbox import agent, messaging
from sandbox.models import Account, MessagingConversation
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_closes_main_dialog,
    consumer_says,
    drain,
    events_after,
    open_conversation,
)

pytestmark = pytest.mark.usefixtures("instant_agent")


@pytest.mark.parametrize("missing", messaging.SURVEY_FEATURES)
def test_no_survey_without_each_of_its_features(installation, missing):
    features = [name for name in messaging.SURVEY_FEATURES if name != missing]
    conversation = open_conversation(installation, features=features, skill_id=SURVEY_SKILL)

    consumer_closes_main_dialog(conversation)

    closed = MessagingConversation.objects.get(pk=conversation.pk)
    assert not closed.dialogs.filter(dialog_type="POST_SURVEY").exists()
    assert (closed.state, closed.stage) == ("CLOSE", "CLOSE")


def test_the_survey_opens_with_its_features(installation):
    conversation = open_conversation(installation, features=messaging.SURVEY_FEATURES, skill_id=SURVEY_SKILL)

    consumer_closes_main_dialog(conversation)

    assert MessagingConversation.objects.get(pk=conversation.pk).stage == "OPEN"


def test_structured_content_never_arrives_without_rich_content(installation):
    conversation = open_conversation(installation, features=["QUICK_REPLIES"])
    drain()
    said = consumer_says(conversation, "rich")

    drain()

    kinds = [e.event["type"] for e in events_after(conversation, said)]
    assert "RichContentEvent" not in kinds
    assert kinds.count("AcceptStatusEvent") == 2  # the agent still read it


def test_quick_replies_are_left_off_without_quick_replies(installation):
    conversation = open_conversation(installation, features=["RICH_CONTENT"])
    drain()
    said = consumer_says(conversation, "quick")

    drain()

    [reply] = [e for e in events_after(conversation, said) if e.event["type"] == "ContentEvent"]
    assert reply.event["message"] == agent.QUICK_TEXT
    assert "quickReplies" not in reply.event


def _auto_messages(conversation) -> list:
    return [e for e in events_after(conversation) if e.role == "CONTROLLER"]


def test_no_auto_message_without_the_accounts_permission(installation):
    Account.objects.filter(pk=installation.account_id).update(auto_messages=False)
    conversation = open_conversation(installation, features=["AUTO_MESSAGES"])

    consumer_says(conversation, "hi")
    drain()

    assert _auto_messages(conversation) == []


def test_no_auto_message_when_the_first_send_comes_after_10_seconds(installation):
    conversation = open_conversation(installation, features=["AUTO_MESSAGES"])
    MessagingConversation.objects.filter(pk=conversation.pk).update(start_ts=conversation.start_ts - 10_001)

    consumer_says(conversation, "hi")
    drain()

    assert _auto_messages(conversation) == []


def test_one_auto_message_after_a_prompt_first_send(installation):
    conversation = open_conversation(installation, features=["AUTO_MESSAGES"])

    consumer_says(conversation, "hi")
    consumer_says(conversation, "again")
    drain()

    [auto] = _auto_messages(conversation)
    assert auto.event["message"] == agent.AUTO_MESSAGE
