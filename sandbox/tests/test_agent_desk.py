"""A person acting as the agent: what reaches the app is what a LivePerson agent sends."""

import pytest

from sandbox import agent_desk, messaging
from sandbox.models import AgentTask, MessagingConversation
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_says,
    drain,
    events_after,
    messaging_changes,
    open_conversation,
)


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


@pytest.fixture
def conversation(installation):
    opened = open_conversation(installation)
    agent_desk.agent_mode_set(conversation_id=opened.conversation_id, mode="human")
    return MessagingConversation.objects.get(pk=opened.pk)


def test_taking_over_assigns_the_agent_at_once(installation):
    opened = open_conversation(installation)

    agent_desk.agent_mode_set(conversation_id=opened.conversation_id, mode="human")

    opened.refresh_from_db()
    assert opened.agent_mode == "human"
    assert opened.assigned_agent_id == messaging.SANDBOX_AGENT_ID
    assert not AgentTask.objects.filter(conversation=opened, done_at__isnull=True).exists()


def test_an_unknown_mode_is_refused(conversation):
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="robot")


def test_a_reply_is_published_as_the_assigned_agent(conversation):
    record = agent_desk.agent_send_text(conversation_id=conversation.conversation_id, text=" Hi, I'm Ann ")

    change = messaging_changes(conversation)[-1]
    assert record.event == {"type": "ContentEvent", "contentType": "text/plain", "message": "Hi, I'm Ann"}
    assert change["originatorMetadata"] == {"id": messaging.SANDBOX_AGENT_ID, "role": "ASSIGNED_AGENT"}
    assert change["sequence"] == record.sequence


def test_an_empty_reply_is_refused(conversation):
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_send_text(conversation_id=conversation.conversation_id, text="   ")


def test_typing_is_a_chat_state_without_sequence(conversation):
    record = agent_desk.agent_chat_state(conversation_id=conversation.conversation_id, chat_state="COMPOSING")

    assert record.sequence is None
    assert record.event == {"type": "ChatStateEvent", "chatState": "COMPOSING"}


def test_mark_read_reads_every_unread_consumer_message_once(conversation):
    first = consumer_says(conversation, "one")
    second = consumer_says(conversation, "two")

    record = agent_desk.agent_mark_read(conversation_id=conversation.conversation_id)
    again = agent_desk.agent_mark_read(conversation_id=conversation.conversation_id)

    assert record.event == {
        "type": "AcceptStatusEvent",
        "status": "READ",
        "sequenceList": [first.sequence, second.sequence],
    }
    assert record.role == "ASSIGNED_AGENT"
    assert again is None


def test_closing_without_a_survey_closes_everything(conversation):
    survey = agent_desk.agent_close(conversation_id=conversation.conversation_id)

    conversation.refresh_from_db()
    assert survey is None
    assert (conversation.state, conversation.stage, conversation.close_reason) == ("CLOSE", "CLOSE", "AGENT")
    main = messaging.main_dialog(conversation)
    assert (main.closed_by, main.closed_cause) == ("AGENT", agent_desk.CLOSED_BY_AGENT)


def test_closing_on_a_survey_skill_starts_the_survey_bot(installation):
    opened = open_conversation(installation, features=messaging.SURVEY_FEATURES, skill_id=SURVEY_SKILL)
    drain()

    survey = agent_desk.agent_close(conversation_id=opened.conversation_id)
    drain()

    opened.refresh_from_db()
    assert (opened.state, opened.stage) == ("CLOSE", "OPEN")
    asked = [e for e in events_after(opened) if e.dialog_id == survey.pk and e.metadata]
    assert asked[0].event["message"] == "How would you rate this conversation?"


def test_nothing_can_be_sent_once_the_conversation_is_closed(conversation):
    agent_desk.agent_close(conversation_id=conversation.conversation_id)

    with pytest.raises(agent_desk.AgentDeskError, match="closed"):
        agent_desk.agent_send_text(conversation_id=conversation.conversation_id, text="still there?")


def test_the_transcript_lists_events_after_an_id(conversation):
    first = consumer_says(conversation, "one")
    consumer_says(conversation, "two")

    transcript = agent_desk.transcript(conversation, after=first.pk)

    assert [e["summary"] for e in transcript["events"]] == ["two"]
    assert transcript["conversation"]["agentMode"] == "human"
    assert transcript["conversation"]["mainDialogOpen"] is True


def test_the_open_list_leaves_out_finished_conversations(installation, conversation):
    other = open_conversation(installation)
    agent_desk.agent_close(conversation_id=conversation.conversation_id)

    assert list(agent_desk.conversations_open()) == [other]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}, "hi"),
        (
            {"type": "ContentEvent", "contentType": "hosted/file", "message": {"caption": "a.png"}},
            "File: a.png",
        ),
        ({"type": "RichContentEvent", "content": {}}, "Rich content"),
        ({"type": "AcceptStatusEvent", "status": "READ", "sequenceList": [1, 2]}, "READ [1, 2]"),
        ({"type": "ChatStateEvent", "chatState": "COMPOSING"}, "COMPOSING"),
    ],
)
def test_event_summaries(event, expected):
    assert agent_desk.event_summary(event) == expected
