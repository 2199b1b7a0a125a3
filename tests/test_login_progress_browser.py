"""Logging in while LivePerson is slow, after a mistake, and being logged out from
another tab with unsaved changes (issue 17, item 6)."""

import re

import pytest
from playwright.sync_api import expect

from conftest import ADMIN
from sandbox import services as sandbox_services
from sandbox.models import RequestLog
from tests.test_chat_browser import _create_demo_app
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser


def _logins() -> int:
    return RequestLog.objects.filter(service="agentVep", path__endswith="/login").count()


def test_a_slow_login_shows_progress_and_is_submitted_once(daphne, page):
    sandbox_services.fault_set(service="agentVep", mode="slow", delay_seconds=2)
    page.goto(f"{daphne.url}/accounts/login/")
    page.get_by_label("Account ID").fill(ADMIN["account_id"])
    page.get_by_label("Login name").fill(ADMIN["login_name"])
    page.get_by_label("Password").fill(ADMIN["password"])
    # Playwright waits for a pending navigation before it looks at the page again: read
    # the button while the answer is awaited, and submit a second time, in one script.
    state = page.get_by_role("button", name="Log in").evaluate(
        """(button) => new Promise((resolve) => {
             button.click();
             setTimeout(() => {
               button.form.requestSubmit();
               resolve({text: button.textContent, disabled: button.disabled, busy: button.ariaBusy});
             }, 100);
           })"""
    )

    assert state == {
        "text": "Logging in… (LivePerson has up to 10 s to answer)",
        "disabled": True,
        "busy": "true",
    }
    expect(page.get_by_test_id("home-account")).to_be_visible(timeout=10_000)
    assert _logins() == 1


def test_after_a_wrong_password_the_password_field_has_the_focus(daphne, page):
    _log_in(page, daphne, {**ADMIN, "password": "not-it"})

    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_focused()


def test_logged_out_in_another_tab_an_edit_tab_warns_and_keeps_next(daphne, page):
    _log_in(page, daphne, ADMIN)
    _create_demo_app(page)
    page.get_by_role("button", name="Edit").click()
    edit_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.get_by_label("Description").fill("Typed, not saved")
    page.wait_for_timeout(500)  # let its session socket connect
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    other = page.context.new_page()
    other.goto(f"{daphne.url}/")
    other.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="), timeout=10_000)
    assert dialogs == ["beforeunload"]
    assert page.evaluate("new URLSearchParams(location.search).get('next')") == edit_path
