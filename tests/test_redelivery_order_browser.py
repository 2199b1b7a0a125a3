"""Events LivePerson delivers out of order, in a real browser: after a failure retried by
numbers a later event may come first (docs/WEBHOOKS.md, 'What LivePerson documents'). The
receiver stores each once; the chat shows them in their dialog's sequence order, live and
after a reload, which replays the stored events in the order they arrived."""

import re

import pytest
import requests
from playwright.sync_api import expect

from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from sandbox.models import Dialog as SandboxDialog
from sandbox.models import Installation as SandboxInstallation
from tests.test_chat_browser import LONG, _agent, _start, _with_a_demo_app
from webhooks import payloads
from webhooks.models import Event

pytestmark = pytest.mark.browser


def _deliver(daphne, chat: ChatConversation, change: dict) -> None:
    """A signed notification, as LivePerson posts it to the app's endpoint."""
    secret = SandboxInstallation.objects.get(client_id=chat.installation.client_id).client_secret
    body = payloads.encode(payloads.messaging(change))
    headers = payloads.headers_for(
        body, account=chat.account_id, client_id=chat.installation.client_id, secret=secret
    )
    response = requests.post(f"{daphne.url}/notifications/event", data=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def _agent_texts(page) -> list[str]:
    return page.locator(".msg.agent .body").all_inner_texts()


def test_a_late_event_takes_its_place_and_a_redelivery_shows_once(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
    chat = ChatConversation.objects.latest("pk")
    last = SandboxDialog.objects.get(dialog_id=chat.conversation_id).last_sequence
    second = payloads.content(last + 1, "Second answer", conversation=chat.conversation_id)
    third = payloads.content(last + 2, "Third answer", conversation=chat.conversation_id)

    # The second failed and is retried by numbers: the third arrives first, then the
    # second, then the third again (its answer had been too slow, so it is retried too).
    _deliver(daphne, chat, third)
    expect(_agent(page, "Third answer")).to_be_visible(timeout=LONG)
    _deliver(daphne, chat, second)
    _deliver(daphne, chat, third)

    expect(_agent(page, "Second answer")).to_be_visible(timeout=LONG)
    texts = _agent_texts(page)
    assert texts[-2:] == ["Second answer", "Third answer"]
    assert texts.count("Third answer") == 1
    stored = Event.objects.filter(
        conversation__conversation_id=chat.conversation_id, event_type="ContentEvent"
    )
    late = [e.payload["event"]["message"] for e in stored.order_by("seq") if e.payload["sequence"] > last]
    assert late == ["Third answer", "Second answer"]  # stored once each, in arrival order

    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Live")
    expect(_agent(page, "Second answer")).to_be_visible(timeout=LONG)
    assert _agent_texts(page)[-2:] == ["Second answer", "Third answer"]
    expect(page.locator(".msg.agent", has_text=re.compile("^Third answer"))).to_have_count(1)
    assert script_errors == []
