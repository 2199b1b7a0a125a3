"""The sandbox agent page: no login (like every sandbox page), CSRF on every form."""

import pytest
from django.test import Client

from sandbox import messaging
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_says,
    drain,
    events_after,
    open_conversation,
)


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def url(conversation, action=""):
    return f"/sandbox/agent/{conversation.conversation_id}/{action}"


def test_the_sandbox_index_links_to_the_agent_page(db, client):
    response = client.get("/sandbox/")

    assert 'href="/sandbox/agent/"' in response.content.decode()


def test_the_list_shows_open_conversations_without_login(client, conversation):
    response = client.get("/sandbox/agent/")

    assert response.status_code == 200
    assert url(conversation) in response.content.decode()


def test_the_conversation_page_shows_the_transcript(client, conversation):
    consumer_says(conversation, "hello from the consumer")
    drain()

    response = client.get(url(conversation))

    page = response.content.decode()
    assert response.status_code == 200
    assert "hello from the consumer" in page
    assert "You said: hello from the consumer" in page


def test_an_unknown_conversation_is_404(db, client):
    assert client.get("/sandbox/agent/no-such-id/").status_code == 404
    assert client.post("/sandbox/agent/no-such-id/reply", {"text": "hi"}).status_code == 404


def test_the_events_endpoint_answers_events_after_an_id(client, conversation):
    first = consumer_says(conversation, "one")

    data = client.get(url(conversation, "events"), {"after": first.pk - 1}).json()

    assert [e["summary"] for e in data["events"]][:1] == ["one"]
    assert data["conversation"]["conversationId"] == conversation.conversation_id
    assert client.get(url(conversation, "events"), {"after": "junk"}).status_code == 200


def test_a_person_replies_as_the_agent(client, conversation):
    response = client.post(url(conversation, "reply"), {"text": "Hello, I'm a person"})

    assert response.status_code == 302
    assert response["Location"] == url(conversation)
    [record] = events_after(conversation)
    assert (record.role, record.event["message"]) == ("ASSIGNED_AGENT", "Hello, I'm a person")


def test_the_script_answers_json_to_the_pages_script(client, conversation):
    response = client.post(url(conversation, "reply"), {"text": "hi"}, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["conversation"]["state"] == "OPEN"


def test_typing_and_mark_read(client, conversation):
    said = consumer_says(conversation, "x")
    client.post(url(conversation, "mode"), {"mode": "human"})

    client.post(url(conversation, "chat-state"), {"chat_state": "COMPOSING"})
    client.post(url(conversation, "read"))

    mine = [e.event for e in events_after(conversation, said) if e.role == "ASSIGNED_AGENT"]
    assert {"type": "ChatStateEvent", "chatState": "COMPOSING"} in mine
    assert mine[-1]["status"] == "READ"


def test_taking_over_and_handing_back(client, conversation):
    client.post(url(conversation, "mode"), {"mode": "human"})
    said = consumer_says(conversation, "anyone?")
    drain()
    assert events_after(conversation, said) == []

    client.post(url(conversation, "mode"), {"mode": "scripted"})
    said = consumer_says(conversation, "now?")
    drain()

    assert "You said: now?" in [e.event.get("message") for e in events_after(conversation, said)]


def test_closing_the_conversation(client, conversation):
    response = client.post(url(conversation, "close"))

    conversation.refresh_from_db()
    assert response.status_code == 302
    assert (conversation.state, conversation.stage, conversation.close_reason) == ("CLOSE", "CLOSE", "AGENT")


def test_closing_on_a_survey_skill_opens_the_survey(client, installation):
    conversation = open_conversation(installation, features=messaging.SURVEY_FEATURES, skill_id=SURVEY_SKILL)
    drain()

    client.post(url(conversation, "close"))
    drain()

    conversation.refresh_from_db()
    assert (conversation.state, conversation.stage) == ("CLOSE", "OPEN")
    assert conversation.dialogs.get(dialog_type="POST_SURVEY").survey_step == 1


def test_a_reply_to_a_closed_conversation_is_refused(client, conversation):
    client.post(url(conversation, "close"))

    page = client.post(url(conversation, "reply"), {"text": "late"}, follow=True)
    as_json = client.post(
        url(conversation, "reply"), {"text": "late"}, headers={"Accept": "application/json"}
    )

    assert "The conversation is closed." in page.content.decode()
    assert as_json.status_code == 409
    assert as_json.json() == {"error": "The conversation is closed."}


def test_pages_refuse_other_methods(client, conversation):
    assert client.get(url(conversation, "reply")).status_code == 405
    assert client.post("/sandbox/agent/").status_code == 405


@pytest.mark.parametrize("action", ["reply", "chat-state", "read", "close", "mode"])
def test_every_form_needs_the_csrf_token(conversation, action):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(url(conversation, action), {"text": "hi", "mode": "human"})

    assert response.status_code == 403
    conversation.refresh_from_db()
    assert (conversation.state, conversation.agent_mode) == ("OPEN", "scripted")


def test_a_form_with_the_csrf_token_is_accepted(conversation):
    browser = Client(enforce_csrf_checks=True)
    browser.get(url(conversation))
    token = browser.cookies["csrftoken"].value

    response = browser.post(url(conversation, "reply"), {"text": "hi", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert events_after(conversation)[-1].originator_id == messaging.SANDBOX_AGENT_ID
