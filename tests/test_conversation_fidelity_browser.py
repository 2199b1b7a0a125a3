"""Whole conversations in a real browser against a sandbox that behaves like LivePerson
where it is least kind (docs/LIVEPERSON.md): an agent's private note (never shown), a
transfer, a slow Send API (no duplicate, no false "Not sent"), a survey in its own dialog
whose sequences restart, history restored after a reload; and a chat on a just-created app
while LivePerson's Webhooks does not know it yet.

Each test runs its own daphne, with the product's timeouts shortened instead of waiting for
the real ones (the read timeout, the history polling), and the sandbox's faults and
switches as the injected delays."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from conftest import running_daphne, webhooks_at_once
from sandbox import services as sandbox_services
from sandbox.models import Account, MessagingEvent
from tests.test_chat_browser import LONG, WELCOME, _agent, _consumer, _start, _with_a_demo_app
from tests.test_survey_dialogs_browser import FIRST, SECOND, _close_into_survey, _reload_restoring_history

pytestmark = pytest.mark.browser

NOTE = "Private: this customer is a VIP"
SURVEY_SKILL = "90001"  # the seeded account's survey skill
SLOW_SECONDS = 3.0  # the sandbox's Send API answers after this...
READ_TIMEOUT = "1.5"  # ...and the product stops waiting after this


@contextmanager
def _daphne(**env):
    """Our own daphne on the test database, the sandbox seeded with webhooks at once."""
    sandbox_services.sandbox_seed()
    webhooks_at_once()
    with running_daphne(**env) as server:
        yield server


@pytest.fixture
def impatient_daphne(transactional_db):
    """The product gives up on LivePerson after 1.5 s (the default is 10 s)."""
    with _daphne(LIVEPERSON_READ_TIMEOUT=READ_TIMEOUT, CHAT_STATE_TIMEOUT="0.5") as server:
        yield server


@pytest.fixture
def activation_daphne(transactional_db):
    """The product expects LivePerson's two-minute webhook activation; it reads the history
    every half second meanwhile."""
    with _daphne(LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS="120", CHAT_HISTORY_POLL_SECONDS="0.5") as server:
        yield server


def _desk(page, daphne, conversation_id):
    desk = page.context.new_page()
    desk.goto(f"{daphne.url}/sandbox/agent/{conversation_id}/")
    return desk


def _stored(conversation_id: str, text: str) -> int:
    """How many times LivePerson (the sandbox) holds the consumer's message `text`."""
    return MessagingEvent.objects.filter(
        conversation__conversation_id=conversation_id, role="CONSUMER", event__message=text
    ).count()


def _say(page, text):
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_whole_conversation_with_a_note_a_transfer_a_slow_send_api_and_a_survey(
    impatient_daphne, page, settings
):
    daphne = impatient_daphne
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        # Opened on any skill; the survey features are on, the survey skill comes by transfer.
        _start(page, survey_skill="")
        expect(page.locator(".msg.system", has_text=WELCOME)).to_be_visible(timeout=LONG)
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        conversation = ChatConversation.objects.latest("pk")
        desk = _desk(page, daphne, conversation.conversation_id)

        # A private note, then a public answer: the consumer sees only the answer.
        desk.get_by_label("Private note").fill(NOTE)
        desk.get_by_role("button", name="Add private note").click()
        expect(desk.get_by_test_id("transcript").locator("tr", has_text=NOTE)).to_be_visible(timeout=LONG)
        desk.get_by_label("Reply as the agent").fill("A public answer")
        desk.get_by_role("button", name="Send", exact=True).click()
        expect(_agent(page, "A public answer")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("transcript")).not_to_contain_text(NOTE)

        # A transfer to the survey's skill: the chat says so; an agent resumes, the script answers.
        desk.get_by_label("Transfer to skill").fill(SURVEY_SKILL)
        desk.get_by_role("button", name="Transfer", exact=True).click()
        expect(desk.get_by_test_id("skill")).to_have_text(SURVEY_SKILL, timeout=LONG)
        expect(page.locator(".msg.note", has_text=f"Transferred to skill {SURVEY_SKILL}")).to_be_visible(
            timeout=LONG
        )
        desk.get_by_role("button", name="Resume").click()
        expect(desk.get_by_test_id("assignment")).to_contain_text("assigned to", timeout=LONG)
        desk.get_by_role("button", name="Hand back to the script").click()
        expect(desk.get_by_role("button", name="Take over")).to_be_visible(timeout=LONG)
        desk.close()

        # LivePerson slows down: the answer comes after our timeout, the message arrives anyway.
        sandbox_services.fault_set(service="asyncMessagingEnt", mode="slow", delay_seconds=SLOW_SECONDS)
        page.get_by_label("Message").press_sequentially("Still")  # chat states, stuck behind the slow one
        _say(page, "Still there?")
        mine = _consumer(page, "Still there?")
        expect(mine.locator(".ticks")).to_have_attribute("data-status", "checking", timeout=LONG)
        expect(mine.locator(".ticks")).to_have_attribute(
            "data-status", re.compile("sent|accepted|read"), timeout=LONG
        )
        sandbox_services.fault_clear()
        expect(_agent(page, "You said: Still there?")).to_be_visible(timeout=LONG)
        expect(mine).to_have_count(1)
        expect(page.locator(".msg.consumer.failed")).to_have_count(0)
        expect(page.get_by_test_id("transcript")).not_to_contain_text("Not sent")
        assert _stored(conversation.conversation_id, "Still there?") == 1

        # The survey, in its own dialog, numbered from 0 again.
        _close_into_survey(page, conversation)

        # A reload restores events and history: everything once, the note never.
        _reload_restoring_history(page, conversation)
        for text in ("You said: Hello agent", "A public answer", "You said: Still there?", FIRST):
            expect(_agent(page, text)).to_have_count(1)
        for text in ("Hello agent", "Still there?"):
            expect(_consumer(page, text)).to_have_count(1)
        expect(page.get_by_test_id("transcript")).not_to_contain_text(NOTE)

        # The survey goes on live, to the end.
        _agent(page, FIRST).get_by_role("button", name="5", exact=True).click()
        expect(_consumer(page, "5")).to_be_visible()
        second = _agent(page, SECOND)
        expect(second).to_be_visible(timeout=LONG)
        second.get_by_role("button", name="Yes", exact=True).click()
        expect(page.get_by_test_id("closed-banner")).to_be_visible(timeout=LONG)
    assert _stored(conversation.conversation_id, "Still there?") == 1
    assert script_errors == []


def test_a_chat_on_a_just_created_app_before_its_webhooks_work(activation_daphne, page, settings):
    daphne = activation_daphne
    Account.objects.filter(account_id="90000001").update(webhook_activation_seconds=120)  # like LivePerson
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        notice = page.get_by_test_id("activation-banner")
        expect(notice).to_be_visible()
        # No webhook comes, yet the agent's answers show: from the messaging history.
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        _say(page, "During the delay")
        expect(_agent(page, "You said: During the delay")).to_be_visible(timeout=LONG)
        expect(notice).to_be_visible()

        # Webhooks start: the next answer comes as a webhook, and the notice goes.
        Account.objects.filter(account_id="90000001").update(webhook_activation_seconds=0)
        _say(page, "After the delay")
        expect(_agent(page, "You said: After the delay")).to_be_visible(timeout=LONG)
        expect(notice).to_be_hidden(timeout=LONG)
        for text in ("You said: Hello agent", "You said: During the delay", "You said: After the delay"):
            expect(_agent(page, text)).to_have_count(1)
        for text in ("Hello agent", "During the delay", "After the delay"):
            expect(_consumer(page, text)).to_have_count(1)
    assert script_errors == []


@pytest.fixture
def hasty_daphne(transactional_db):
    """The product gives up on LivePerson after 1 s, and on finding the message half a
    second later: "Not sent" comes before a slow LivePerson has carried the message out."""
    with _daphne(LIVEPERSON_READ_TIMEOUT="1", CHAT_SEND_RECONCILE_SECONDS="0.5") as server:
        yield server


def test_not_sent_then_arrived_or_retried_is_one_message(hasty_daphne, page, settings):
    daphne = hasty_daphne
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        conversation_id = ChatConversation.objects.latest("pk").conversation_id

        # Called "Not sent", then it arrives: its echo takes the failed bubble.
        sandbox_services.fault_set(service="asyncMessagingEnt", mode="slow", delay_seconds=SLOW_SECONDS)
        _say(page, "Late but there")
        late = _consumer(page, "Late but there")
        expect(late.locator(".ticks")).to_have_attribute("data-status", "failed", timeout=LONG)
        expect(late.get_by_role("button", name="Retry")).to_be_visible()
        sandbox_services.fault_clear()
        expect(late.locator(".ticks")).to_have_attribute(
            "data-status", re.compile("sent|accepted|read"), timeout=LONG
        )
        expect(late.get_by_role("button", name="Retry")).to_have_count(0)
        expect(late).to_have_count(1)
        expect(_agent(page, "You said: Late but there")).to_have_count(1, timeout=LONG)

        # Not sent and never arrived: Retry sends it, once.
        sandbox_services.fault_set(service="asyncMessagingEnt", mode="garbage")  # answers, does nothing
        _say(page, "Second try")
        lost = _consumer(page, "Second try")
        expect(lost.locator(".ticks")).to_have_attribute("data-status", "failed", timeout=LONG)
        sandbox_services.fault_clear()
        lost.get_by_role("button", name="Retry").click()
        expect(lost.locator(".ticks")).to_have_attribute(
            "data-status", re.compile("sent|accepted|read"), timeout=LONG
        )
        expect(_agent(page, "You said: Second try")).to_be_visible(timeout=LONG)
        expect(lost).to_have_count(1)
    assert _stored(conversation_id, "Late but there") == 1
    assert _stored(conversation_id, "Second try") == 1
    assert script_errors == []
