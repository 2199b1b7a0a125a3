"""The sandbox agent page in a real browser: a person takes a conversation over,
sees the consumer live, replies, types, reads and closes it."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import MessagingEvent
from sandbox.tests.agent_factories import consumer_says, open_conversation, sandbox_installation

pytestmark = pytest.mark.browser

LIVE = 10_000  # ms: the page polls every second


def test_a_person_answers_as_the_agent(daphne, page):
    conversation = open_conversation(sandbox_installation())
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    page.goto(f"{daphne.url}/sandbox/")
    page.get_by_test_id("agent-page-link").click()
    page.get_by_role("link", name=conversation.conversation_id).click()
    expect(page).to_have_url(re.compile(f"/sandbox/agent/{conversation.conversation_id}/$"))

    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_role("button", name="Hand back to the script")).to_be_visible()
    consumer_says(conversation, "Is anyone there?")
    transcript = page.get_by_test_id("transcript")
    expect(transcript).to_contain_text("Is anyone there?", timeout=LIVE)

    page.get_by_role("button", name="Typing").click()
    page.get_by_label("Reply as the agent").fill("Yes, a person.")
    page.get_by_role("button", name="Send").click()
    expect(transcript).to_contain_text("Yes, a person.", timeout=LIVE)
    expect(page.get_by_label("Reply as the agent")).to_have_value("")
    page.get_by_role("button", name="Mark read").click()
    expect(transcript).to_contain_text("READ [0]", timeout=LIVE)

    page.get_by_role("button", name="Close the conversation").click()
    expect(page.get_by_test_id("conversation-state")).to_contain_text("stage CLOSE", timeout=LIVE)
    page.get_by_label("Reply as the agent").fill("Too late")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("The conversation is closed.")

    roles = set(MessagingEvent.objects.exclude(role="CONSUMER").values_list("role", flat=True))
    assert roles == {"ASSIGNED_AGENT"}
    assert script_errors == []
