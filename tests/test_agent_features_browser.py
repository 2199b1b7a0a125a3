"""In real browsers: what the agent's side does shows in the chat as notes, and structured
content's template element and click metadata work outside the survey
(docs/LIVEPERSON.md, 'Agent-side changes' and 'Rich content and quick replies')."""

import pytest
from playwright.sync_api import expect

from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from tests.test_chat_browser import LONG, _agent, _start, _with_a_demo_app

pytestmark = pytest.mark.browser


def test_transfer_queue_and_resume_show_as_notes(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        expect(page.locator(".msg.note", has_text="An agent joined the conversation.")).to_be_visible()
        conversation_id = ChatConversation.objects.latest("pk").conversation_id

        desk = page.context.new_page()
        desk.goto(f"{daphne.url}/sandbox/agent/{conversation_id}/")
        desk.get_by_label("Transfer to skill").fill("777")
        desk.get_by_role("button", name="Transfer", exact=True).click()
        expect(desk.get_by_test_id("skill")).to_have_text("777", timeout=LONG)
        expect(desk.get_by_test_id("assignment")).to_have_text("waiting in the queue")
        expect(
            page.locator(".msg.note", has_text="Transferred to skill 777; waiting for an agent.")
        ).to_be_visible(timeout=LONG)

        desk.get_by_role("button", name="Resume").click()
        expect(page.locator(".msg.note", has_text="The agent resumed the conversation.")).to_be_visible(
            timeout=LONG
        )
        page.get_by_role("button", name="Mark urgent").click()
        expect(page.locator(".msg.note", has_text="Time to respond: URGENT")).to_be_visible(timeout=LONG)
        expect(desk.get_by_test_id("ttr")).to_have_text("URGENT", timeout=LONG)
    assert script_errors == []


def test_a_template_and_a_button_with_an_external_id(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        page.get_by_placeholder("Type a message").fill("rich")
        page.get_by_role("button", name="Send", exact=True).click()
        card = page.locator(".msg.agent .sc-vertical")
        expect(card).to_be_visible(timeout=LONG)

        expect(card.locator(".sc-template")).to_contain_text("Was this card useful?")
        card.locator(".sc-template").get_by_role("button", name="Yes").click()
        expect(_agent(page, "You said: Yes")).to_be_visible(timeout=LONG)
        # Answered, like any quick reply once the consumer has spoken.
        expect(card.locator(".sc-template").get_by_role("button", name="Yes")).to_be_disabled()
        card.get_by_role("button", name="Order 1001").click()
        # The click's ExternalId went back on an ACTION: the sandbox's agent names it.
        expect(_agent(page, "You picked sandbox-order-1001.")).to_be_visible(timeout=LONG)
    assert script_errors == []
