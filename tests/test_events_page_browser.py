"""The events page in a real browser (issue 17, "Events page"): rows a developer reads
at a glance, the selected delivery beside the list, and live rows that do not move
what the reader is looking at, however many arrive at once."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_live_pages_browser import _post, _until
from webhooks import payloads
from webhooks.models import Delivery
from webhooks.tests import factories

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _errors(page) -> list[str]:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def _older_deliveries(count: int) -> None:
    for n in range(count):
        factories.delivery(account_id=payloads.ACCOUNT, client_id=payloads.CLIENT_ID, minutes_ago=100 + n)


def _clipped(page, selector: str) -> list[str]:
    """The cells matching selector whose content is wider than the cell shows."""
    return page.locator(selector).evaluate_all(
        "(cells) => cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent)"
    )


def _overflowing(page) -> bool:
    return page.locator("#deliveries [data-role=table]").evaluate(
        "(box) => box.scrollWidth > box.clientWidth + 1"
    )


def test_a_row_says_what_happened_and_the_conversation_is_never_clipped(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    page.set_viewport_size(WIDE)
    _post(daphne, 1)
    page.goto(f"{daphne.url}/events/")
    row = page.get_by_test_id("deliveries-table").locator("tbody tr").first

    expect(row.locator("td.summary")).to_have_text("message 1")
    expect(row.locator("td.from")).to_have_text("agent")
    expect(row.locator("td.change")).to_have_text("ContentEvent")
    expect(row.locator("td.conversation a")).to_have_attribute("title", payloads.CONVERSATION)
    assert _clipped(page, "#deliveries td.conversation") == []
    assert not _overflowing(page)

    row.locator("td.summary").click()  # opens the pane: the list gets narrower
    expect(page.get_by_test_id("delivery-pane")).to_be_visible()
    assert _clipped(page, "#deliveries td.conversation") == []
    assert not _overflowing(page)
    assert errors == []


def test_a_selected_delivery_opens_beside_the_list_on_a_wide_screen(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    page.set_viewport_size(WIDE)
    _post(daphne, 1, 2)
    first = Delivery.objects.order_by("pk").first()
    page.goto(f"{daphne.url}/events/")

    page.locator(f'#deliveries tr[data-id="{first.pk}"] td.summary').click()

    pane = page.get_by_test_id("delivery-pane")
    expect(pane.get_by_test_id("delivery-signature")).to_contain_text("valid")
    expect(pane.get_by_test_id("delivery-headers")).to_contain_text("x-liveperson-client-id")
    tree = pane.get_by_test_id("json-tree")
    expect(tree.locator(".json-string", has_text='"message 1"')).to_be_visible()
    assert page.url.endswith(f"/events/?selected={first.pk}")
    # Beside the list, not under it.
    list_box = page.locator("#deliveries").bounding_box()
    assert pane.bounding_box()["x"] >= list_box["x"] + list_box["width"]
    expect(page.locator(f'#deliveries tr[data-id="{first.pk}"]')).to_have_attribute("aria-current", "true")

    # Its levels fold.
    top = tree.locator("details").first
    top.locator("summary").first.click()
    expect(top).not_to_have_attribute("open", "")

    page.reload()  # the selection survives a reload
    expect(page.get_by_test_id("delivery-pane").get_by_test_id("delivery-facts")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("delivery-pane")).to_be_hidden()
    assert page.url.endswith("/events/")
    assert errors == []


def test_on_a_phone_a_delivery_opens_on_its_own_page(daphne, signed_in):
    page = signed_in
    page.set_viewport_size(PHONE)
    _post(daphne, 1)
    delivery = Delivery.objects.get()
    page.goto(f"{daphne.url}/events/")

    page.locator("#deliveries tbody tr a[data-role=open-delivery]").click()

    expect(page).to_have_url(re.compile(rf"/events/{delivery.pk}/$"))
    expect(page.get_by_test_id("json-tree")).to_be_visible()


def test_live_rows_do_not_move_what_the_reader_looks_at(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    page.set_viewport_size(WIDE)
    _older_deliveries(40)
    page.goto(f"{daphne.url}/events/")
    rows = page.get_by_test_id("deliveries-table").locator("tbody tr")
    expect(rows).to_have_count(40)
    reading = page.locator(f"#deliveries tr[data-id='{rows.nth(20).get_attribute('data-id')}']")
    reading.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, 200)")
    before = reading.bounding_box()["y"]

    _post(daphne, 1, 2, 3)

    expect(rows).to_have_count(43)
    assert abs(reading.bounding_box()["y"] - before) <= 1
    indicator = page.get_by_test_id("new-rows")
    expect(indicator).to_have_text("↑ 3 new")
    indicator.click()
    expect(rows.first).to_be_in_viewport()
    expect(indicator).to_be_hidden()
    assert errors == []


def test_a_burst_larger_than_a_page_is_shown_whole(daphne, signed_in):
    page = signed_in
    errors = _errors(page)
    _post(daphne, 1)
    page.goto(f"{daphne.url}/events/")
    rows = page.get_by_test_id("deliveries-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    _until(page, lambda: page.evaluate("() => true"))

    # Stored while the page is open (no announcement of their own), then one announced.
    _older_deliveries(120)
    _post(daphne, 2)

    expect(rows).to_have_count(122, timeout=10_000)
    ids = [int(pk) for pk in rows.evaluate_all("(rows) => rows.map((row) => row.dataset.id)")]
    assert ids == sorted(Delivery.objects.values_list("pk", flat=True), reverse=True)
    assert errors == []
