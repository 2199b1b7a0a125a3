"""Logging in and out in a real browser, against the app under daphne and the sandbox."""

import re

import pytest
from playwright.sync_api import expect

from conftest import ADMIN, AGENT

pytestmark = pytest.mark.browser


def _log_in(page, server, credentials):
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Account ID").fill(credentials["account_id"])
    page.get_by_label("Login name").fill(credentials["login_name"])
    page.get_by_label("Password").fill(credentials["password"])
    page.get_by_role("button", name="Log in").click()


def test_an_administrator_logs_in_and_lands_home(daphne, page):
    _log_in(page, daphne, ADMIN)

    expect(page).to_have_url(f"{daphne.url}/")
    expect(page.get_by_test_id("home-account")).to_have_text("Account 90000001 · admin (Administrator)")
    expect(page.get_by_test_id("current-user")).to_contain_text("admin")
    # The page is styled by our own copy of Pico CSS.
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"


def test_a_plain_agent_is_refused_with_the_message(daphne, page):
    _log_in(page, daphne, AGENT)

    expect(page.get_by_test_id("login-error")).to_have_text("Only administrators or LPA users can log in.")
    expect(page).to_have_url(f"{daphne.url}/accounts/login/")


def test_logout_works(daphne, page):
    _log_in(page, daphne, ADMIN)
    expect(page).to_have_url(f"{daphne.url}/")

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("You are logged out of this site and of LivePerson.")).to_be_visible()
    page.goto(f"{daphne.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_logging_out_in_one_tab_sends_the_other_tab_to_the_login_page(daphne, page):
    _log_in(page, daphne, ADMIN)
    other_tab = page.context.new_page()
    other_tab.goto(f"{daphne.url}/")
    expect(other_tab.get_by_test_id("home-account")).to_be_visible()
    other_tab.wait_for_timeout(500)  # let its session socket connect

    page.get_by_role("button", name="Log out").click()

    expect(other_tab).to_have_url(re.compile(r"/accounts/login/"), timeout=10_000)
