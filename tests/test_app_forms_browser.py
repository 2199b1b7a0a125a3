"""The app pages in a real browser: the error summary, unsaved changes, the secret's
status line, the action buttons (issue 17, item 4) and the apps list's menu (item 5)."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import ChatConversation
from conftest import ADMIN
from sandbox import services as sandbox_services
from tests.test_chat_browser import _create_demo_app
from tests.test_login_browser import _log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def app_page(daphne, page):
    """Logged in, on the page of a new demo app."""
    _log_in(page, daphne, ADMIN)
    _create_demo_app(page)
    return page


def test_a_failed_save_focuses_the_summary_whose_links_focus_each_field(app_page):
    page = app_page
    page.get_by_role("button", name="Edit").click()
    page.locator("#id_basic-name").fill("")
    rich = page.locator('fieldset[data-kind="ms.MessagingEventNotification.RichContentEvent"]')
    rich.get_by_label("Endpoint").fill("http://not-https.example.com/")
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("2 things to fix")
    summary.get_by_role("link", name=re.compile("Rich content events: Endpoint")).click()
    expect(page.locator("#id_rich-endpoint")).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Name")).click()
    expect(page.locator("#id_basic-name")).to_be_focused()


def test_leaving_a_changed_form_asks_first_and_an_unchanged_one_does_not(app_page, daphne):
    page = app_page
    page.get_by_role("button", name="Edit").click()
    edit_url = page.url
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_label("Description").fill("Changed, not saved")
    page.get_by_role("link", name="Apps", exact=True).first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url == edit_url

    page.get_by_label("Description").fill("For the demo chat")  # back as it was
    page.get_by_role("link", name="Apps", exact=True).first.click()
    expect(page).to_have_url(f"{daphne.url}/")
    assert dialogs == ["beforeunload"]


def test_leaving_a_form_whose_save_failed_asks_first(app_page):
    page = app_page
    page.get_by_role("button", name="Edit").click()
    page.locator("#id_basic-name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("error-summary")).to_be_focused()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.get_by_role("link", name="Apps", exact=True).first.click()
    page.wait_for_timeout(300)

    assert dialogs == ["beforeunload"]


def test_saving_a_changed_form_does_not_ask(app_page):
    page = app_page
    page.get_by_role("button", name="Edit").click()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_label("Description").fill("Saved")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("App saved.")).to_be_visible()
    assert dialogs == []


def test_copied_is_cleared_by_reveal_and_hide(app_page):
    page = app_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    page.get_by_role("button", name="Reveal").click()
    expect(page.get_by_text("Copied.")).to_have_count(0)
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Hide").click()
    expect(page.get_by_text("Copied.")).to_have_count(0)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_app_pages_action_buttons_are_one_height_and_uninstall_looks_dangerous(app_page, width):
    page = app_page
    page.set_viewport_size({"width": width, "height": 800})
    buttons = page.locator("main .actions").last.locator("a[role=button], button")
    heights = {round(box["height"]) for box in (b.bounding_box() for b in buttons.all())}
    assert len(heights) == 1, heights
    uninstall = page.get_by_role("button", name="Uninstall")
    assert (
        page.evaluate("(el) => getComputedStyle(el).color", uninstall.element_handle()) == "rgb(183, 28, 28)"
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_the_apps_list_menu_disables_an_app_and_comes_back_to_the_list(app_page, daphne, width):
    page = app_page
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{daphne.url}/")
    row = page.get_by_test_id("apps-table").locator("tbody tr").first
    row.get_by_text("Actions").click()
    expect(row.get_by_role("link", name="Open demo chat")).to_be_visible()
    row.get_by_role("button", name="Disable").click()

    expect(page.get_by_text("App disabled")).to_be_visible()
    expect(page).to_have_url(f"{daphne.url}/")
    expect(row).to_contain_text("Disabled")
    row.get_by_text("Actions").click()
    expect(row.get_by_role("link", name="Open demo chat")).to_have_count(0)
    row.get_by_role("link", name="Edit").click()
    expect(page.get_by_test_id("edit-form")).to_be_visible()


def test_the_chat_start_form_opens_one_conversation_however_often_it_is_submitted(app_page):
    page = app_page
    page.get_by_role("button", name="Open demo chat").click()
    page.locator("#id_consumer_name").fill("Kim")
    page.locator("#id_first_message").fill("Hello once")
    sandbox_services.fault_set(service="idp", mode="slow", delay_seconds=1.5)
    # Playwright waits for a pending navigation before looking again: submit twice in one
    # script, the second time once the first request is on its way.
    page.get_by_role("button", name="Start conversation").evaluate(
        "(button) => { button.click(); setTimeout(() => button.form.requestSubmit(), 300); }"
    )

    expect(page).to_have_url(re.compile(r"/chat/\d+/$"), timeout=20_000)
    page.wait_for_timeout(2000)  # a second submission would be answered by now
    assert ChatConversation.objects.count() == 1
