import os

import pytest
from playwright.sync_api import expect, sync_playwright

from apps_admin.models import Installation
from conftest import ADMIN
from tests.test_login_browser import _log_in
from webhooks import payloads

CHROMIUM = "/usr/bin/chromium"
# Headless flags, plus the ones that stop Chromium calling home from a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium through Playwright; never a downloaded browser."""
    # Playwright's sync API runs an event loop in this thread; the ORM work of
    # the fixtures is done before it starts, the tests only drive the browser.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    assert os.path.exists(CHROMIUM), "install Debian's chromium (bin/services does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def signed_in(daphne, page):
    """The sandbox administrator, logged in, with an app whose webhooks this site verifies."""
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("current-user")).to_be_visible()
    app = Installation(
        account_id=payloads.ACCOUNT,
        client_id=payloads.CLIENT_ID,
        name="Test app",
        scope="msg.consumer",
        enabled=True,
    )
    app.client_secret = payloads.SECRET
    app.save()
    return page
