"""The conversations pages in a real browser (issue 17, "Conversations"): the list is
live (new conversations and updates appear, with their state), and a conversation's
header follows the events that arrive."""

import pytest
import requests
from playwright.sync_api import expect

from tests.test_live_pages_browser import _post
from webhooks import payloads
from webhooks.models import Conversation
from webhooks.payloads import encode, headers_for

pytestmark = pytest.mark.browser

OTHER = "7777c2f1-1c9e-4e39-a5d2-2c6b6e4b0002"


def _send(daphne, notification: dict) -> None:
    body = encode(notification)
    answer = requests.post(
        f"{daphne.url}/notifications/event", data=body, headers=headers_for(body), timeout=10
    )
    assert answer.status_code == 200, answer.text


def _errors(page) -> list[str]:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_list_shows_new_conversations_and_updates_live(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    _post(daphne, 1)
    first = Conversation.objects.get(conversation_id=payloads.CONVERSATION)
    page.goto(f"{daphne.url}/conversations/")
    rows = page.get_by_test_id("conversations-table").locator("tbody tr")
    expect(rows).to_have_count(1)

    _send(daphne, payloads.messaging(payloads.content(1, conversation=OTHER)))

    expect(rows).to_have_count(2)
    second = Conversation.objects.get(conversation_id=OTHER)
    expect(rows.first).to_have_attribute("data-id", str(second.pk))

    _send(daphne, payloads.conversation_change(state="CLOSE"))  # the first one closes

    expect(rows.first).to_have_attribute("data-id", str(first.pk))
    expect(rows.first.locator("td.state")).to_have_text("CLOSE")
    expect(rows.first.locator("td.count")).to_have_text("2")
    expect(rows).to_have_count(2)
    assert errors == []


def test_the_conversation_header_follows_the_live_events(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    _post(daphne, 1)
    conversation = Conversation.objects.get(conversation_id=payloads.CONVERSATION)
    page.goto(f"{daphne.url}/conversations/{conversation.pk}/")
    expect(page.get_by_test_id("event-count")).to_have_text("1 event")
    before = page.get_by_test_id("last-event").get_attribute("datetime")

    _post(daphne, 2, 3)

    expect(page.get_by_test_id("timeline").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("event-count")).to_have_text("3 events")
    conversation.refresh_from_db()
    last = page.get_by_test_id("last-event")
    assert last.get_attribute("datetime") >= before
    expect(last).to_have_text(conversation.last_event_at.strftime("%Y-%m-%d %H:%M:%S"))
    # Each row says who sent it, and links to its delivery.
    expect(page.get_by_test_id("timeline").locator("tbody tr").last.locator(".sender")).to_have_text("agent")
    page.get_by_test_id("timeline").locator("tbody tr").last.locator("td a").first.click()
    expect(page.get_by_test_id("delivery-facts")).to_be_visible()
    assert errors == []
