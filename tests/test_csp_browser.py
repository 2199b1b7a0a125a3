"""Every main page under its Content-Security-Policy in a real browser: no violation,
no console error, while the pages do what they do (scripts, WebSockets, images)."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

import conftest
from accounts.models import User
from chat.tests.conftest import running_workers
from conftest import ADMIN
from sandbox import services as sandbox_services
from tests.test_chat_browser import LONG, _agent, _create_demo_app, _start
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser

# Before any script of each page: record what the policy blocked.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


class Watch:
    """The policy violations of the current page and the errors of every page so far."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        url = message.location.get("url", "")
        # The site has no favicon: Chromium's own request for one is no page's error.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"{message.text} {url}")

    def check(self, label: str) -> None:
        """Call before leaving a page: its violations are gone once it is."""
        page = self.page
        assert page.evaluate("window.__csp") == [], f"{label} ({page.url})"
        assert self.errors == [], f"{label} ({page.url})"

    def visit(self, path: str, base: str) -> None:
        response = self.page.goto(f"{base}{path}")
        assert response.ok, path
        assert "content-security-policy" in response.headers, path
        self.check(path)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def own_daphne(transactional_db, monkeypatch):
    """A daphne that knows its own address (SANDBOX_HOST), as under `make run`: the
    sandbox agent's card then has its picture on the page's origin, not on
    127.0.0.1:8000. Its agent answers at once, and a new app's webhooks come at once."""
    port = conftest.free_port()
    monkeypatch.setattr(conftest, "free_port", lambda: port)
    sandbox_services.sandbox_seed()
    conftest.webhooks_at_once()
    with conftest.running_daphne(SANDBOX_HOST=f"127.0.0.1:{port}", SANDBOX_AGENT_DELAY_SCALE="0") as server:
        yield server


def test_the_pages_of_a_liveperson_user_keep_to_the_policy(own_daphne, page, settings):
    daphne = own_daphne
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    watch = Watch(page)
    watch.visit("/accounts/login/", daphne.url)
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("apps-empty")).to_be_visible()
    watch.check("app list")

    _create_demo_app(page)
    page.get_by_role("button", name="Reveal").click()
    expect(page.get_by_test_id("client-secret")).to_have_text(re.compile(r"^[A-Za-z0-9_-]{32,}$"))
    watch.check("app detail")
    page.get_by_role("button", name="Edit").click()
    page.locator('fieldset[data-kind="ms.MessagingEventNotification.ContentEvent"]').get_by_role(
        "button", name="Add header"
    ).click()
    watch.check("app edit")
    page.get_by_role("link", name="Apps").first.click()
    watch.check("app list with an app")
    page.get_by_role("link", name="Chat bot").click()

    with running_workers():
        _start(page)
        expect(page.get_by_test_id("connection")).to_have_text("Live")
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
        # A card: a picture, styles set from the script, buttons.
        page.get_by_label("Message").fill("rich")
        page.get_by_role("button", name="Send", exact=True).click()
        picture = page.locator(".msg.agent .sc-image img")
        expect(picture).to_be_visible(timeout=LONG)
        page.wait_for_function("() => document.querySelector('.msg.agent .sc-image img').naturalWidth > 0")
        # An image: first its blob: preview, after a reload from the download view.
        page.get_by_label("Image (PNG, JPEG or GIF, up to 3 MB)").set_input_files(
            {"name": "dot.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.get_by_role("button", name="Send image").click()
        expect(_agent(page, "Thanks for the file dot.png")).to_be_visible(timeout=LONG)
        watch.check("demo chat")
        page.reload()
        page.wait_for_function(
            "() => { const img = document.querySelector('.msg.consumer figure img');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=LONG,
        )
        watch.check("demo chat, reloaded")
        conversation_id = page.get_by_test_id("conversation-id").inner_text()

    page.get_by_role("link", name="Demo chats").first.click()
    watch.check("chat list")
    page.get_by_role("link", name="Events").first.click()
    expect(page.get_by_test_id("deliveries-table")).to_be_visible()
    watch.check("events")
    page.get_by_test_id("deliveries-table").locator("a[href^='/events/']").first.click()
    expect(page.get_by_test_id("delivery-facts")).to_be_visible()
    watch.check("event detail")
    page.get_by_role("link", name="Conversations").first.click()
    watch.check("conversations")
    page.get_by_test_id("conversations-table").get_by_role("link").first.click()
    expect(page.get_by_test_id("timeline")).to_be_visible()
    watch.check("conversation detail")

    watch.visit("/sandbox/", daphne.url)
    watch.visit("/sandbox/agent/", daphne.url)
    watch.visit(f"/sandbox/agent/{conversation_id}/", daphne.url)
    expect(page.get_by_test_id("transcript")).to_contain_text("Hello agent")
    watch.check("sandbox agent conversation")


def test_the_admin_keeps_to_the_policy(daphne, page):
    User.objects.create_superuser("operator", password="operator-password")
    watch = Watch(page)
    watch.visit("/admin/login/", daphne.url)
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("operator-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    watch.check("admin index")
    for path in ["/admin/webhooks/delivery/", "/admin/accounts/user/", "/admin/sandbox/account/"]:
        watch.visit(path, daphne.url)
    page.get_by_role("link", name="90000001").first.click()
    expect(page.locator("#content-main form")).to_be_visible()
    watch.check("admin change form")
    watch.visit("/admin/sandbox/account/add/", daphne.url)
