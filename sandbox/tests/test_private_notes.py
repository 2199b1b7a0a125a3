"""An agent's private note: `messageAudience: AGENTS_AND_MANAGERS`, sent to the app's
webhooks like any message, kept out of what the consumer is shown
(docs/LIVEPERSON.md, 'Private messages')."""

import pytest
from django.test import Client

from sandbox import agent_desk, messaging, msghist
from sandbox.models import AgentTask, MessagingConversation
from sandbox.tests.agent_factories import drain, messaging_changes, open_conversation


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


@pytest.fixture
def conversation(installation):
    opened = open_conversation(installation)
    drain()
    return MessagingConversation.objects.get(pk=opened.pk)


NOTE = "Customer is a VIP"


def _note(conversation, text=NOTE):
    return agent_desk.agent_send_private_note(conversation_id=conversation.conversation_id, text=text)


def test_a_private_note_reaches_the_webhooks_marked_for_agents_and_managers(conversation):
    record = _note(conversation)

    change = messaging_changes(conversation)[-1]
    assert change["messageAudience"] == "AGENTS_AND_MANAGERS"
    assert change["event"] == {"type": "ContentEvent", "contentType": "text/plain", "message": NOTE}
    assert change["originatorMetadata"] == {"id": messaging.SANDBOX_AGENT_ID, "role": "ASSIGNED_AGENT"}
    assert change["sequence"] == record.sequence


def test_other_messages_stay_for_everyone(conversation):
    agent_desk.agent_send_text(conversation_id=conversation.conversation_id, text="Hello")

    assert messaging_changes(conversation)[-1]["messageAudience"] == "ALL"


def test_an_empty_note_is_refused(conversation):
    with pytest.raises(agent_desk.AgentDeskError):
        _note(conversation, "  ")


def test_a_note_gets_no_answer_from_the_scripted_agent(conversation):
    _note(conversation)

    assert not AgentTask.objects.filter(conversation=conversation, done_at__isnull=True).exists()


def test_the_history_marks_the_note_with_its_audience(conversation):
    _note(conversation)

    found = msghist.conversation_search(
        account=conversation.account, body={"conversationId": conversation.conversation_id}
    )

    records = found["conversationHistoryRecords"][0]["messageRecords"]
    agents = [(r["messageData"]["msg"]["text"], r["audience"]) for r in records if r["sentBy"] == "Agent"]
    assert agents[-1] == (NOTE, "AGENTS_AND_MANAGERS")


def test_the_agent_page_sends_a_note_and_marks_it_private(client, conversation):
    url = f"/sandbox/agent/{conversation.conversation_id}/"

    response = client.post(
        f"{url}private-note", {"text": "Offer a discount"}, headers={"Accept": "application/json"}
    )
    page = client.get(url).content.decode()
    events = client.get(f"{url}events").json()["events"]

    assert response.status_code == 200
    assert events[-1]["summary"] == "Offer a discount"
    assert events[-1]["audience"] == "AGENTS_AND_MANAGERS"
    assert 'data-audience="AGENTS_AND_MANAGERS"' in page
    assert f'action="{url}private-note"' in page


def test_the_agent_page_refuses_a_note_on_a_closed_conversation(client, conversation):
    agent_desk.agent_close(conversation_id=conversation.conversation_id)

    response = client.post(
        f"/sandbox/agent/{conversation.conversation_id}/private-note",
        {"text": "too late"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 409


def test_the_note_form_needs_the_csrf_token(conversation):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(f"/sandbox/agent/{conversation.conversation_id}/private-note", {"text": "hi"})

    assert response.status_code == 403
    assert not conversation.events.filter(audience="AGENTS_AND_MANAGERS").exists()
