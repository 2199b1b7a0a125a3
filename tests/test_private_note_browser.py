"""An agent's private note in real browsers: sent from the sandbox agent page, it reaches
the app's webhooks marked AGENTS_AND_MANAGERS; the consumer's chat never shows it, and
its notifications console shows it, marked private (docs/LIVEPERSON.md, 'Private messages')."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from tests.test_chat_browser import LONG, _agent, _start, _with_a_demo_app

pytestmark = pytest.mark.browser

NOTE = "Private: offer this customer a discount"


def test_a_private_note_never_reaches_the_consumers_chat(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        conversation_id = ChatConversation.objects.latest("pk").conversation_id

        # The agent, on the sandbox agent page, adds a private note, then answers.
        desk = page.context.new_page()
        desk.goto(f"{daphne.url}/sandbox/agent/{conversation_id}/")
        desk.get_by_label("Private note").fill(NOTE)
        desk.get_by_role("button", name="Add private note").click()
        note_row = desk.get_by_test_id("transcript").locator("tr", has_text=NOTE)
        expect(note_row.locator("[data-role=private]")).to_have_text("Private", timeout=LONG)
        desk.get_by_label("Reply as the agent").fill("A public answer")
        desk.get_by_role("button", name="Send", exact=True).click()

        # The answer arrives after the note (webhooks keep their order): the note never shows.
        expect(_agent(page, "A public answer")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("transcript")).not_to_contain_text(NOTE)
        page.get_by_text("Notifications console").click()
        marked = page.get_by_test_id("notifications-console").locator("li[data-audience=AGENTS_AND_MANAGERS]")
        expect(marked).to_have_count(1)
        expect(marked.locator("summary")).to_contain_text("private (agents and managers only)")

        # Nor after a reload, which replays every stored event.
        page.reload()
        expect(page.get_by_test_id("connection")).to_have_text("Live")
        expect(_agent(page, "A public answer")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("transcript")).not_to_contain_text(NOTE)
        expect(page.locator(".msg", has_text=re.compile("discount"))).to_have_count(0)
    assert script_errors == []
