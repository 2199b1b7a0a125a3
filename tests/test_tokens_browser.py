"""Access tokens from the page, in Chromium: create, copy once, use with the API, revoke."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from tests.test_csp_browser import Watch
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser


def _api_status(server, token: str) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/v1/deliveries", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test server
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_token_is_created_copied_used_and_revoked_from_the_page(daphne, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watch = Watch(page)  # CSP violations and console errors
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("current-user")).to_be_visible()

    page.goto(f"{daphne.url}/accounts/tokens/")
    page.get_by_label("Name").fill("laptop forwarder")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create token").click()

    shown = page.get_by_test_id("new-token")
    expect(shown).to_contain_text("Copy it now")
    raw = shown.locator("[data-role=token]").text_content()
    assert raw.startswith("cst_")
    assert raw not in page.url
    shown.get_by_role("button", name="Copy").click()
    expect(shown).to_contain_text("Copied.")
    watch.check("the new token")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    assert _api_status(daphne, raw) == 200

    page.goto(f"{daphne.url}/accounts/tokens/")
    assert raw not in page.content()
    expect(page.get_by_test_id("token-table")).to_contain_text("laptop forwarder")
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name="Revoke").click()

    expect(page.get_by_test_id("token-table")).to_contain_text("revoked")
    assert _api_status(daphne, raw) == 401
    watch.check("the revoked token")
    context.close()
