"""Managing an app installation in a real browser, against daphne and the sandbox."""

import re

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser


def test_the_whole_life_of_an_app(daphne, page):
    demo_endpoint = f"https://{daphne.host}/notifications/event"
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("apps-empty")).to_be_visible()

    # Create with the demo checkbox.
    page.get_by_test_id("create-app").click()
    page.get_by_label("Name").fill("Browser bot")
    page.get_by_label("Description").fill("Made by Playwright")
    page.get_by_label("Demo app").check()
    page.get_by_role("button", name="Install").click()
    expect(page.get_by_text("App “Browser bot” installed.")).to_be_visible()
    client_id = page.get_by_test_id("client-id").inner_text()
    expect(page.get_by_test_id("app-demo")).to_be_visible()

    # The secret is masked until revealed, and copyable.
    secret = page.get_by_test_id("client-secret")
    expect(secret).to_have_text(re.compile(r"^•+$"))
    page.get_by_role("button", name="Reveal").click()
    expect(secret).to_have_text(re.compile(r"^[A-Za-z0-9_-]{32,}$"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret.inner_text()

    # It is listed, as a demo app.
    page.get_by_role("link", name="Apps").first.click()
    row = page.locator(f'tr[data-client-id="{client_id}"]')
    expect(row).to_contain_text("Browser bot")
    expect(row).to_contain_text("Demo")
    expect(row).to_contain_text("Enabled")

    # Edit: one webhook gets its own endpoint and a custom header.
    row.get_by_role("link", name="Browser bot").click()
    page.get_by_role("button", name="Edit").click()
    content = page.locator('fieldset[data-kind="ms.MessagingEventNotification.ContentEvent"]')
    content.get_by_label("Endpoint").fill("https://hooks.example.com/content")
    content.get_by_role("button", name="Add header").click()
    content.get_by_label("Header name").fill("X-Api-Key")
    content.get_by_label("Header value").fill("k-123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("App saved.")).to_be_visible()
    expect(page.get_by_test_id("app-demo")).to_have_count(0)
    expect(page.get_by_text("https://hooks.example.com/content")).to_be_visible()

    # Switch to demo mode, after confirming: every endpoint back here, the header kept.
    page.get_by_role("button", name="Switch to demo mode").click()
    expect(page.get_by_test_id("replaced-endpoints")).to_contain_text("https://hooks.example.com/content")
    page.get_by_role("button", name="Switch to demo mode").click()
    expect(page.get_by_text(f"Demo mode on: every webhook now goes to {demo_endpoint}.")).to_be_visible()
    expect(page.get_by_test_id("app-demo")).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    expect(content.get_by_label("Header name")).to_have_value("X-Api-Key")
    page.get_by_role("button", name="Cancel").click()

    # Disable.
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("App disabled")).to_be_visible()
    expect(page.get_by_test_id("app-state")).to_have_text("Disabled")

    # Uninstall, after confirming.
    page.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    page.get_by_role("button", name="Uninstall").click()
    expect(page.get_by_text("App uninstalled.")).to_be_visible()
    expect(page.get_by_test_id("apps-empty")).to_be_visible()
