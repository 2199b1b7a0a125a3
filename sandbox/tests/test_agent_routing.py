"""The sandbox agent transfers, sends back to the queue, resumes and sends a file: the app
gets the ExConversation changes and messaging events LivePerson would send
(docs/LIVEPERSON.md, 'Agent-side changes')."""

import pytest
from django.test import Client

from sandbox import agent_desk, messaging, swift
from sandbox.models import AgentTask, MessagingConversation
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_says,
    conversation_changes,
    drain,
    messaging_changes,
    open_conversation,
)


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def roles(result: dict) -> list[str]:
    return [p["role"] for p in result["conversationDetails"]["participants"]]


def test_a_transfer_moves_the_conversation_to_the_skill_without_an_agent(conversation):
    assert "ASSIGNED_AGENT" in roles(conversation_changes(conversation)[-1])

    agent_desk.agent_transfer(conversation_id=conversation.conversation_id, skill_id="12345")

    change = conversation_changes(conversation)[-1]
    details = change["conversationDetails"]
    assert details["skillId"] == "12345"
    assert details["conversationHandlerDetails"] == {"accountId": "90000001", "skillId": "12345"}
    assert "ASSIGNED_AGENT" not in roles(change)
    assert details["state"] == "OPEN"
    conversation.refresh_from_db()
    assert conversation.agent_mode == "human"


def test_after_a_transfer_the_script_does_not_answer(conversation):
    consumer_says(conversation, "hello")
    agent_desk.agent_transfer(conversation_id=conversation.conversation_id, skill_id="12345")

    assert not AgentTask.objects.filter(conversation=conversation, done_at__isnull=True).exists()
    drain()
    assert "You said: hello" not in str(messaging_changes(conversation))


@pytest.mark.parametrize("skill_id", ["", "abc", "1" * 20, "-1"])
def test_a_transfer_needs_a_skill_id(conversation, skill_id):
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_transfer(conversation_id=conversation.conversation_id, skill_id=skill_id)


def test_a_transfer_to_the_same_skill_is_refused(conversation):
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_transfer(
            conversation_id=conversation.conversation_id, skill_id=conversation.skill_id
        )


def test_the_last_skill_decides_the_survey(installation):
    opened = open_conversation(installation, features=["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"])
    drain()
    agent_desk.agent_transfer(conversation_id=opened.conversation_id, skill_id=SURVEY_SKILL)
    agent_desk.agent_resume(conversation_id=opened.conversation_id)

    survey = agent_desk.agent_close(conversation_id=opened.conversation_id)

    assert survey is not None
    assert conversation_changes(opened)[-1]["conversationDetails"]["stage"] == "OPEN"


def test_back_to_queue_removes_the_agent_and_keeps_the_skill(conversation):
    agent_desk.agent_back_to_queue(conversation_id=conversation.conversation_id)

    details = conversation_changes(conversation)[-1]["conversationDetails"]
    assert "ASSIGNED_AGENT" not in [p["role"] for p in details["participants"]]
    assert details["skillId"] == conversation.skill_id
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_back_to_queue(conversation_id=conversation.conversation_id)


def test_resume_assigns_the_agent_again(conversation):
    agent_desk.agent_back_to_queue(conversation_id=conversation.conversation_id)

    agent_desk.agent_resume(conversation_id=conversation.conversation_id)

    participants = conversation_changes(conversation)[-1]["conversationDetails"]["participants"]
    assert {"id": messaging.SANDBOX_AGENT_ID, "role": "ASSIGNED_AGENT"} in participants
    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_resume(conversation_id=conversation.conversation_id)


def test_the_agent_sends_a_hosted_file_the_app_can_download(conversation):
    conversation.account.file_sharing = True
    conversation.account.save(update_fields=["file_sharing"])

    record = agent_desk.agent_send_file(conversation_id=conversation.conversation_id)

    change = messaging_changes(conversation)[-1]
    message = change["event"]["message"]
    assert change["originatorMetadata"]["role"] == "ASSIGNED_AGENT"
    assert change["event"]["contentType"] == "hosted/file"
    assert change["sequence"] == record.sequence
    assert message["fileType"] == "PNG"
    assert message["preview"].startswith("data:image/png;base64,")
    assert len(message["preview"]) < 30 * 1024
    content, content_type = swift.file_get(relative_path=message["relativePath"])
    assert content.startswith(b"\x89PNG")
    assert content_type == "image/png"


def test_no_file_where_file_sharing_is_off(conversation):
    conversation.account.file_sharing = False
    conversation.account.save(update_fields=["file_sharing"])

    with pytest.raises(agent_desk.AgentDeskError):
        agent_desk.agent_send_file(conversation_id=conversation.conversation_id)


def test_nothing_of_this_once_closed(conversation):
    agent_desk.agent_close(conversation_id=conversation.conversation_id)

    for action, fields in [
        (agent_desk.agent_transfer, {"skill_id": "12345"}),
        (agent_desk.agent_back_to_queue, {}),
        (agent_desk.agent_resume, {}),
        (agent_desk.agent_send_file, {}),
    ]:
        with pytest.raises(agent_desk.AgentDeskError):
            action(conversation_id=conversation.conversation_id, **fields)


def test_the_page_transfers_and_answers_the_new_skill(conversation):
    client = Client(enforce_csrf_checks=False)
    base = f"/sandbox/agent/{conversation.conversation_id}/"

    page = client.get(base).content.decode()
    response = client.post(f"{base}transfer", {"skill_id": "777"}, headers={"Accept": "application/json"})
    refused = client.post(f"{base}transfer", {"skill_id": "777"}, headers={"Accept": "application/json"})
    queued = client.post(f"{base}resume", headers={"Accept": "application/json"})

    assert 'data-testid="transfer-form"' in page
    assert 'data-testid="resume-form"' in page
    assert response.json()["conversation"]["skillId"] == "777"
    assert response.json()["conversation"]["assignedAgentId"] == ""
    assert refused.status_code == 409
    assert queued.json()["conversation"]["assignedAgentId"] == messaging.SANDBOX_AGENT_ID
    assert MessagingConversation.objects.get(pk=conversation.pk).skill_id == "777"


def test_the_page_needs_csrf(conversation):
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/sandbox/agent/{conversation.conversation_id}/back-to-queue")

    assert response.status_code == 403
