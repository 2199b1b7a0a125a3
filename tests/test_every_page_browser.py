"""Every page (tests/page_tour.py), logged out and in, with data, at a phone's, a
tablet's and a laptop's width: no horizontal scroll of the page, no console error, no failed request,
and its key elements visible. With SCREENSHOTS_DIR set (bin/screenshots), it also
photographs each page."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts import access_tokens
from accounts.models import User
from chat.models import ChatConversation
from chat.tests.conftest import running_workers
from conftest import ADMIN
from tests import page_tour
from tests.test_chat_browser import LONG, _agent, _create_demo_app, _start
from tests.test_login_browser import _log_in
from webhooks.models import Conversation, Delivery

pytestmark = pytest.mark.browser


def test_every_named_url_is_toured_or_excluded_with_a_reason():
    assert page_tour.uncovered(page_tour.url_names()) == set()
    assert all(reason.strip() for reason in page_tour.EXCLUDED.values())
    # The tour names only real URLs.
    assert {page.name for page in page_tour.PAGES} <= page_tour.url_names()


def test_a_new_named_url_is_reported():
    assert page_tour.uncovered({"home", "apps_admin:brand-new"}) == {"apps_admin:brand-new"}
    assert page_tour.uncovered({"admin:anything"}) == set()


def test_every_page_has_an_icon_that_is_served(daphne, page):
    answers = []
    page.on("response", lambda response: answers.append((response.url, response.status)))
    page.goto(f"{daphne.url}/accounts/login/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith(".svg")
    assert page.request.get(f"{daphne.url}{icon}").status == 200
    assert page.request.get(f"{daphne.url}/favicon.ico").status == 200  # after its redirect
    assert [answer for answer in answers if answer[1] >= 400] == []


def _data(page, daphne, settings) -> dict:
    """A demo app with a conversation answered by the sandbox's agent, and its webhooks."""
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    settings.SANDBOX_AGENT_DELAY_SCALE = 0
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("current-user")).to_be_visible()
    _create_demo_app(page)
    client_id = page.get_by_test_id("client-id").inner_text()
    with running_workers():
        _start(page)
        expect(page).to_have_url(re.compile(r"/chat/\d+/$"))
        expect(_agent(page, "You said: Hello agent")).to_be_visible(timeout=LONG)
    chat = ChatConversation.objects.get()
    token, _ = access_tokens.create(User.objects.get(lp_login_name="admin"), name="laptop", scope="read")
    return {
        "client_id": client_id,
        "chat_pk": chat.pk,
        "conversation_id": chat.conversation_id,
        "delivery_pk": Delivery.objects.latest("pk").pk,
        "token_pk": token.pk,
        "conversation_pk": Conversation.objects.get(conversation_id=chat.conversation_id).pk,
    }


def test_every_page_fits_a_phone_a_tablet_and_a_laptop(daphne, browser, settings):
    shots = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else None
    logged_out = browser.new_context()
    logged_in = browser.new_context()
    try:
        setup = logged_in.new_page()
        data = _data(setup, daphne, settings)
        setup.close()
        problems = {}
        for context in (logged_out, logged_in):
            page = context.new_page()
            watch = page_tour.Watch()
            watch.attach(page)
            tour = [p for p in page_tour.PAGES if p.logged_in == (context is logged_in)]
            for tour_page in tour:
                for width in page_tour.WIDTHS:
                    found = page_tour.visit(
                        page, daphne.url, tour_page, data, watch, width=width, shots=shots
                    )
                    if found:
                        problems[f"{tour_page.slug} at {width}"] = found
            page.close()
        assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
    finally:
        logged_out.close()
        logged_in.close()


def test_the_menu_is_a_dropdown_on_a_phone_and_flat_on_a_laptop(daphne, page):
    _log_in(page, daphne, ADMIN)
    expect(page.get_by_test_id("current-user")).to_be_visible()
    events = page.get_by_role("link", name="Events", exact=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(events).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    events.click()
    expect(page).to_have_url(f"{daphne.url}/events/")
    page.set_viewport_size({"width": 1024, "height": 768})  # the narrowest flat menu
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    assert page.evaluate(page_tour.OVERFLOW) <= 0
    header = page.locator("header.container > nav")
    assert header.evaluate("(nav) => nav.scrollWidth <= nav.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(page.get_by_role("link", name="Conversations", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
