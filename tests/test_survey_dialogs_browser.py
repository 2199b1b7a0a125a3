"""A survey in its own dialog, whose sequences start again at 0, in a real browser:
the chat restores history after a reload without doubling or losing messages that
share a sequence with another dialog's, and sends each receipt to the dialog of its
messages (docs/LIVEPERSON.md, 'Sequences')."""

import pytest
from playwright.sync_api import expect

from apps_admin.models import Installation
from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from sandbox.models import MessagingEvent
from tests.test_chat_browser import LONG, _agent, _consumer, _start, _with_a_demo_app

pytestmark = pytest.mark.browser

GREETING = "Hello, I'm the survey bot"
FIRST = "How would you rate this conversation?"
SECOND = "Was your issue resolved?"


def _history_needed(conversation: ChatConversation) -> None:
    """Our app now says one webhook type goes elsewhere, so a fresh page also restores
    the messaging history (chat.history); the sandbox still delivers them all here,
    the mixed case where events and history both hold the same messages."""
    app = Installation.objects.get(pk=conversation.installation_id)
    key = next(iter(app.endpoints))
    app.endpoints = {**app.endpoints, key: "https://example.com/hooks"}
    app.save(update_fields=["endpoints"])


def _close_into_survey(page, conversation: ChatConversation) -> None:
    """ "Close with survey": the survey opens in a dialog of its own, numbered from 0 again."""
    page.get_by_role("button", name="Close with survey").click()
    expect(page.get_by_test_id("survey-banner")).to_be_visible(timeout=LONG)
    expect(_agent(page, FIRST)).to_be_visible(timeout=LONG)
    survey = MessagingEvent.objects.filter(
        conversation__conversation_id=conversation.conversation_id, dialog__dialog_type="POST_SURVEY"
    )
    assert survey.exclude(sequence=None).order_by("pk").first().sequence == 0


def _reload_restoring_history(page, conversation: ChatConversation) -> None:
    """A reload of the chat in its survey that restores both the events and the messaging history."""
    _history_needed(conversation)
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Live")
    expect(page.get_by_test_id("chat-state")).to_have_text("Survey")
    expect(_agent(page, FIRST)).to_be_visible(timeout=LONG)
    page.get_by_text("Requests console").click()
    expect(page.get_by_test_id("requests-console")).to_contain_text("/conversations/conversation/search")


def _receipts_name_their_own_dialogs_messages(conversation_id: str) -> list:
    """The consumer's ACCEPT/READ receipts whose sequences are not agent messages of their dialog."""
    events = list(
        MessagingEvent.objects.filter(conversation__conversation_id=conversation_id).select_related("dialog")
    )
    messages = {
        (e.dialog_id, e.sequence)
        for e in events
        if e.role != "CONSUMER" and e.event["type"] in ("ContentEvent", "RichContentEvent")
    }
    return [
        (e.dialog.dialog_type, s)
        for e in events
        if e.role == "CONSUMER" and e.event["type"] == "AcceptStatusEvent" and e.event["status"] != "ACTION"
        for s in e.event["sequenceList"]
        if (e.dialog_id, s) not in messages
    ]


def test_a_survey_with_its_own_sequences_survives_a_reload(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page)
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        page.get_by_label("Message").fill("How are you?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(_agent(page, "You said: How are you?")).to_be_visible(timeout=LONG)
        conversation = ChatConversation.objects.latest("pk")

        _close_into_survey(page, conversation)

        # A reload restores events and history: each message once, MAIN's and the survey's.
        _reload_restoring_history(page, conversation)
        for bubble in (_agent(page, GREETING), _agent(page, FIRST), _agent(page, "You said: Hello agent")):
            expect(bubble).to_have_count(1)
        expect(_consumer(page, "Hello agent")).to_have_count(1)
        expect(_consumer(page, "How are you?")).to_have_count(1)

        # The survey goes on live: its next messages share sequences with MAIN's.
        _agent(page, FIRST).get_by_role("button", name="5", exact=True).click()
        expect(_consumer(page, "5")).to_be_visible()
        second = _agent(page, SECOND)
        expect(second).to_be_visible(timeout=LONG)
        second.get_by_role("button", name="Yes", exact=True).click()
        expect(page.get_by_test_id("closed-banner")).to_be_visible(timeout=LONG)
        expect(_agent(page, SECOND)).to_have_count(1)

    assert _receipts_name_their_own_dialogs_messages(conversation.conversation_id) == []
    receipts_in_survey = MessagingEvent.objects.filter(
        conversation__conversation_id=conversation.conversation_id,
        dialog__dialog_type="POST_SURVEY",
        role="CONSUMER",
        event__status__in=["ACCEPT", "READ"],
    )
    assert receipts_in_survey.exists()
    assert script_errors == []
