"""A whole demo chat in a real browser: daphne serving the app and the sandbox, the
sandbox's webhook dispatcher and scripted agent running as the worker would."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from chat.tests.conftest import running_workers
from conftest import ADMIN
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser

SURVEY_SKILL = "90001"  # the seeded account's survey skill
WELCOME = "Welcome! An agent will be with you shortly."
LONG = 20_000  # ms: the scripted agent answers after a few seconds, like a person


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _create_demo_app(page):
    page.get_by_test_id("create-app").click()
    page.get_by_label("Name").fill("Chat bot")
    page.get_by_label("Description").fill("For the demo chat")
    page.get_by_label("Demo app").check()
    page.get_by_role("button", name="Install").click()
    expect(page.get_by_text("App “Chat bot” installed.")).to_be_visible()


def _start(page, *, survey_skill=SURVEY_SKILL):
    page.get_by_role("button", name="Open demo chat").click()
    expect(page.locator("#id_client_id")).to_have_value(re.compile(".+"))
    page.locator("#id_consumer_name").fill("Kim")
    for feature in ("AUTO_MESSAGES", "RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"):
        page.get_by_label(feature, exact=True).check()
    page.locator("#id_survey_skill_id").fill(survey_skill)
    page.locator("#id_first_message").fill("Hello agent")
    page.get_by_role("button", name="Start conversation").click()


def _consumer(page, text):
    """The consumer's bubbles saying exactly `text`."""
    return page.locator(".msg.consumer").filter(
        has=page.locator(".body", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def _agent(page, text):
    return page.locator(".msg.agent", has_text=text)


def _with_a_demo_app(page, daphne, settings) -> list[str]:
    """Logged in as the sandbox's admin with a new demo app; the page's script errors, as they come."""
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    _log_in(page, daphne, ADMIN)
    _create_demo_app(page)
    return script_errors


def test_a_whole_conversation(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page)
        expect(page).to_have_url(re.compile(r"/chat/\d+/$"))
        expect(page.get_by_test_id("connection")).to_have_text("Live")

        # AUTO_MESSAGES: the automatic welcome, then the first message and its echo.
        expect(page.locator(".msg.system", has_text=WELCOME)).to_be_visible(timeout=LONG)
        expect(_consumer(page, "Hello agent")).to_be_visible()
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)

        # A message: sent at once, the agent types, answers, and has read it.
        page.get_by_label("Message").fill("How are you?")
        page.get_by_role("button", name="Send", exact=True).click()
        mine = _consumer(page, "How are you?")
        expect(mine.locator(".ticks")).to_have_attribute("data-status", re.compile("sent|accepted|read"))
        expect(page.get_by_test_id("typing")).to_be_visible(timeout=LONG)
        expect(_agent(page, "You said: How are you?")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("typing")).to_be_hidden()
        expect(mine.locator(".ticks")).to_have_attribute("data-status", "read", timeout=LONG)

        # Rich content, rendered by the page; its button publishes its text.
        page.get_by_label("Message").fill("rich")
        page.get_by_role("button", name="Send", exact=True).click()
        card = page.locator(".msg.agent .sc-vertical")
        expect(card).to_contain_text("Sandbox card", timeout=LONG)
        expect(card.get_by_role("link", name="Empire State Building")).to_have_attribute(
            "href", re.compile(r"^https://www\.openstreetmap\.org/")
        )
        expect(page.locator(".msg.agent .quick-replies").get_by_role("button", name="help")).to_be_visible()
        card.get_by_role("button", name="Say hello").click()
        expect(_consumer(page, "hello")).to_be_visible()
        expect(_agent(page, "You said: hello")).to_be_visible(timeout=LONG)

        # LivePerson content is text, never markup.
        page.get_by_label("Message").fill("<b>not bold</b>")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(_agent(page, "You said: <b>not bold</b>")).to_be_visible(timeout=LONG)
        expect(page.locator(".transcript b")).to_have_count(0)

        # An image: shown at once, then the agent thanks for it.
        page.get_by_label("Image (PNG, JPEG or GIF, up to 3 MB)").set_input_files(
            {"name": "dot.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.get_by_role("button", name="Send image").click()
        expect(page.locator(".msg.consumer figure img")).to_have_count(1)
        expect(_agent(page, "Thanks for the file dot.png")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("chat-error")).to_be_hidden()

        # The consoles show the LivePerson requests and the webhooks, secrets masked.
        page.get_by_text("Requests console").click()
        requests_console = page.get_by_test_id("requests-console")
        expect(requests_console).to_contain_text("/conversation/send")
        # Each entry by what it did and how long it took, with its curl (secrets as variables).
        first = requests_console.locator("li", has_text='message "Hello agent"').first
        line = re.compile(r'message "Hello agent" · \d+ ms → HTTP 200')
        expect(first.locator("summary")).to_contain_text(line)
        first.locator("summary").click()
        expect(first.get_by_test_id("copy-curl")).to_be_visible()
        expect(first).to_contain_text('"$LP_APP_JWT"')
        page.get_by_text("Notifications console").click()
        expect(page.get_by_test_id("notifications-console")).to_contain_text("ContentEvent")

        # Reloading restores everything, once, with the ticks and the image from swift.
        page.reload()
        expect(page.get_by_test_id("connection")).to_have_text("Live")
        expect(_agent(page, "You said: How are you?")).to_be_visible()
        expect(_consumer(page, "Hello agent")).to_have_count(1)
        expect(_consumer(page, "How are you?")).to_have_count(1)
        expect(page.locator(".msg.system", has_text=WELCOME)).to_have_count(1)
        expect(_consumer(page, "How are you?").locator(".ticks")).to_have_attribute("data-status", "read")
        page.wait_for_function(
            "() => { const img = document.querySelector('.msg.consumer figure img');"
            " return img && img.complete && img.naturalWidth > 0 && img.src.includes('/files/download'); }",
            timeout=LONG,
        )

        # Close with the survey and answer it until the conversation is closed.
        page.get_by_role("button", name="Close with survey").click()
        expect(page.get_by_test_id("survey-banner")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("chat-state")).to_have_text("Survey")
        question = page.locator(".msg.agent", has_text="How would you rate this conversation?")
        question.get_by_role("button", name="5", exact=True).click(timeout=LONG)
        expect(_consumer(page, "5")).to_be_visible()
        second = page.locator(".msg.agent", has_text="Was your issue resolved?")
        second.get_by_role("button", name="Yes", exact=True).click(timeout=LONG)
        expect(page.get_by_test_id("closed-banner")).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("chat-state")).to_have_text("Closed")
        expect(page.get_by_label("Message")).to_be_disabled()

    # The list shows it, closed.
    page.get_by_role("link", name="Demo chats").first.click()
    expect(page.get_by_test_id("chat-list")).to_contain_text("Kim")
    expect(page.get_by_test_id("chat-list")).to_contain_text("Closed")
    assert script_errors == []


def test_a_dropped_socket_reconnects_and_catches_up_without_duplicates(daphne, page, settings):
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    sockets = []

    def through(socket):
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/chat/\d+/"), through)
    _log_in(page, daphne, ADMIN)
    _create_demo_app(page)
    with running_workers():
        _start(page, survey_skill="")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        assert sockets[0].url.endswith("?after=0")

        # The socket drops right after a send: the echo arrives while it is down.
        page.get_by_label("Message").fill("Are you there?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(_consumer(page, "Are you there?").locator(".ticks")).to_have_attribute(
            "data-status", re.compile("sent|accepted|read")
        )
        sockets[0].close(code=4000, reason="dropped by the test")
        expect(page.get_by_test_id("connection")).to_contain_text("reconnecting")
        expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=LONG)
        assert re.search(r"\?after=[1-9]\d*$", sockets[-1].url), sockets[-1].url

        expect(_agent(page, "You said: Are you there?")).to_be_visible(timeout=LONG)
        expect(_agent(page, "You said: Are you there?")).to_have_count(1)
        expect(_consumer(page, "Are you there?")).to_have_count(1)
        expect(_agent(page, "You said: Hello agent")).to_have_count(1)
        expect(page.locator(".msg.system", has_text=WELCOME)).to_have_count(1)
