"""The demo chat's start form and chat page in a real browser (issue 17, "Chat page"):
one webhook warning, the selected app's; "Close with survey" without a survey says so;
a closed chat starts a new one with the same settings."""

import re

import pytest
from playwright.sync_api import expect

from apps_admin.manifest import WEBHOOK_TYPES
from apps_admin.models import Installation
from chat.tests.conftest import running_workers
from conftest import ADMIN
from tests.test_chat_browser import LONG, _start, _with_a_demo_app
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser

ACCOUNT = "90000001"  # the sandbox's seeded account


def _app(name: str, endpoint: str) -> Installation:
    return Installation.objects.create(
        account_id=ACCOUNT,
        client_id=f"client-{name.lower().replace(' ', '-')}",
        name=name,
        scope="msg.consumer",
        enabled=True,
        endpoints=dict.fromkeys(WEBHOOK_TYPES, endpoint),
    )


def test_the_start_form_warns_only_for_the_selected_app(daphne, page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("current-user")).to_be_visible()
    demo = _app("A demo app", f"https://{daphne.host}/notifications/event")
    elsewhere = [_app(f"Elsewhere {n}", "https://hooks.example.com/lp") for n in range(3)]
    page.goto(f"{daphne.url}/chat/new/")
    warnings = page.get_by_test_id("app-not-here")
    expect(page.locator("#id_client_id")).to_have_value(demo.client_id)
    expect(warnings).to_have_count(3)
    expect(warnings.locator("visible=true")).to_have_count(0)

    page.locator("#id_client_id").select_option(elsewhere[1].client_id)

    expect(warnings.locator("visible=true")).to_have_count(1)
    expect(
        page.locator(f'[data-testid=app-not-here][data-client-id="{elsewhere[1].client_id}"]')
    ).to_be_visible()
    page.locator("#id_client_id").select_option(demo.client_id)
    expect(warnings.locator("visible=true")).to_have_count(0)
    assert errors == []


def test_close_with_survey_without_a_survey_says_so_and_a_new_chat_keeps_the_settings(daphne, page, settings):
    script_errors = _with_a_demo_app(page, daphne, settings)
    with running_workers():
        _start(page, survey_skill="")
        expect(page).to_have_url(re.compile(r"/chat/\d+/$"))
        expect(page.get_by_test_id("connection")).to_have_text("Live")
        expect(page.get_by_test_id("no-survey-skill")).to_be_visible()

        page.get_by_role("button", name="Close with survey").click()

        expect(page.get_by_test_id("closed-banner")).to_be_visible(timeout=LONG)
        expect(page.locator(".msg.note", has_text="No survey ran")).to_be_visible()
        page.get_by_test_id("start-again").click()

    expect(page).to_have_url(re.compile(r"/chat/new/\?from=\d+$"))
    expect(page.locator("#id_consumer_name")).to_have_value("Kim")
    expect(page.locator("#id_survey_skill_id")).to_have_value("")
    for feature in ("AUTO_MESSAGES", "RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"):
        expect(page.get_by_label(feature, exact=True)).to_be_checked()
    assert script_errors == []
