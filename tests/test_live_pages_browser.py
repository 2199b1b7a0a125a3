"""The events and conversation pages in a real browser: rows arrive live, and a dropped
socket comes back (static/js/socket.js) and resumes where it was, missing nothing and
showing nothing twice."""

import json
import re

import pytest
import requests
from playwright.sync_api import expect

from webhooks import payloads
from webhooks.models import Conversation, Delivery
from webhooks.payloads import encode, headers_for

pytestmark = pytest.mark.browser


def _post(daphne, *sequences: int) -> None:
    for sequence in sequences:
        body = encode(payloads.messaging(payloads.content(sequence, text=f"message {sequence}")))
        answer = requests.post(
            f"{daphne.url}/notifications/event", data=body, headers=headers_for(body), timeout=10
        )
        assert answer.status_code == 200, answer.text


def _through(sockets, sent=None):
    """A route that passes the socket through, keeping it and what the page sends."""

    def route(socket):
        server = socket.connect_to_server()
        sockets.append(socket)
        if sent is not None:

            def forward(message):
                sent.append(json.loads(message))
                server.send(message)

            socket.on_message(forward)

    return route


def _until(page, condition, seconds: float = 10) -> None:
    """Let the page run until condition() holds (the routes' handlers run meanwhile)."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the condition did not hold in time")


def _shown_as_on_a_reload(page, selector: str) -> None:
    """The rows added live are the server's own: the same markup as after a reload."""
    script = "(body) => Array.from(body.rows, (row) => row.outerHTML.replace(/\\s+/g, ' '))"
    live = page.locator(selector).evaluate(script)
    page.reload()
    assert page.locator(selector).evaluate(script) == live


def _column(page, selector: str, attribute: str) -> list[str]:
    return page.locator(selector).evaluate_all(
        f"(rows) => rows.map((row) => row.getAttribute('{attribute}'))"
    )


def test_the_conversation_page_resumes_after_a_drop(daphne, signed_in):
    page = signed_in
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _post(daphne, 1, 2)
    conversation = Conversation.objects.get(conversation_id=payloads.CONVERSATION)
    sockets = []
    page.route_web_socket(re.compile(r"/ws/conversations/\d+/events/"), _through(sockets))
    page.goto(f"{daphne.url}/conversations/{conversation.pk}/")
    rows = page.get_by_test_id("timeline").locator("tbody tr")
    expect(rows).to_have_count(2)
    _until(page, lambda: sockets)
    assert sockets[0].url.endswith("?after=2"), sockets[0].url

    _post(daphne, 3)
    expect(rows).to_have_count(3)
    sockets[0].close(code=4000, reason="dropped by the test")
    _post(daphne, 4, 5)  # while the page waits to reconnect

    expect(rows).to_have_count(5, timeout=10_000)
    assert len(sockets) == 2
    page.wait_for_timeout(500)  # a late duplicate would be there by now
    assert sockets[1].url.endswith("?after=3"), sockets[1].url
    assert _column(page, "#timeline tbody tr", "data-seq") == ["1", "2", "3", "4", "5"]
    expect(rows.nth(4)).to_contain_text("message 5")
    assert errors == []
    _shown_as_on_a_reload(page, "#timeline tbody")


def test_the_events_page_resumes_after_a_drop(daphne, signed_in):
    page = signed_in
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _post(daphne, 1)
    first = Delivery.objects.get().pk
    sockets, sent = [], []
    page.route_web_socket(re.compile(r"/ws/events/"), _through(sockets, sent))
    page.goto(f"{daphne.url}/events/")
    rows = page.get_by_test_id("deliveries-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    _until(page, lambda: sent)
    assert sent == [{"type": "sync", "after_id": first}]

    _post(daphne, 2)
    expect(rows).to_have_count(2)
    second = max(Delivery.objects.values_list("pk", flat=True))
    sockets[0].close(code=4000, reason="dropped by the test")
    _post(daphne, 3, 4)  # while the page waits to reconnect

    expect(rows).to_have_count(4, timeout=10_000)
    page.wait_for_timeout(500)  # a late duplicate would be there by now
    assert len(sockets) == 2
    assert sent[-1] == {"type": "sync", "after_id": second}
    ids = [int(pk) for pk in _column(page, "[data-testid=deliveries-table] tbody tr", "data-id")]
    assert ids == sorted(Delivery.objects.values_list("pk", flat=True), reverse=True)
    assert errors == []
    _shown_as_on_a_reload(page, "#deliveries tbody")
