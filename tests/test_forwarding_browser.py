"""Webhooks on a laptop, from the pages, in Chromium: a token made on the Tokens page
runs a real `connector-site listen`; an app's test notification, sent from its page,
reaches the site's own endpoint (the demo app's) and is forwarded, signed, to a local
server; its delivery is replayed from the delivery's page."""

import json
import re

import pytest
from playwright.sync_api import expect

from apps_admin.models import Installation
from bench.forwarder_harness import Forwarder, LocalReceiver
from conftest import ADMIN
from tests.test_chat_browser import _create_demo_app
from tests.test_csp_browser import Watch
from tests.test_login_browser import _log_in
from webhooks.models import Delivery

pytestmark = pytest.mark.browser


def _create_token(page, daphne) -> str:
    page.goto(f"{daphne.url}/accounts/tokens/")
    page.get_by_label("Name").fill("laptop")
    page.get_by_label("Scope").select_option("forward")
    page.get_by_role("button", name="Create token").click()
    raw = page.get_by_test_id("new-token").locator("[data-role=token]").text_content()
    assert raw.startswith("cst_")
    return raw


def test_a_token_a_test_notification_and_a_replay_from_the_pages(daphne, page, tmp_path):
    watch = Watch(page)
    _log_in(page, daphne, ADMIN)
    _create_demo_app(page)
    client_id = page.get_by_test_id("client-id").inner_text()
    app_page = page.url
    secret = Installation.objects.get(client_id=client_id).client_secret
    raw = _create_token(page, daphne)
    watch.check("the tokens page")

    receiver = LocalReceiver(secret=secret).start()
    arguments = ["--site", daphne.url, "--forward-to", receiver.url, "--state-file", str(tmp_path / "s.json")]
    forwarder = Forwarder("listen", *arguments, token=raw)
    try:
        forwarder.wait_for_output("caught up")

        # A test notification from the app's page, to its (demo) endpoint: the site itself.
        page.goto(app_page)
        page.get_by_test_id("test-notification").click()
        page.get_by_label("Type").select_option("ms.MessagingEventNotification.ContentEvent")
        page.get_by_role("button", name="Send a test notification").click()
        result = page.get_by_test_id("send-result")
        expect(result).to_have_count(1)
        expect(result.get_by_test_id("send-status")).to_have_text("200")
        expect(result.get_by_test_id("send-body")).to_contain_text('"status": "accepted"')
        watch.check("the test notification's result")

        # ... forwarded by the CLI, signed with the app's secret.
        (forwarded,) = receiver.wait_for(1)
        assert forwarded.signature_valid
        change = json.loads(forwarded.body)["body"]["changes"][0]
        assert change["event"]["message"] == "A test notification"
        delivery = Delivery.objects.get(pk=forwarded.delivery)

        # Replayed from its page: the same bytes again, a redelivery to the site.
        page.goto(f"{daphne.url}/events/{delivery.pk}/")
        page.get_by_test_id("replay").click()
        expect(page.get_by_role("heading", name=f"Replay of delivery {delivery.pk}")).to_be_visible()
        expect(page.get_by_test_id("send-status")).to_have_text("200")
        expect(page.get_by_test_id("send-body")).to_contain_text('"status": "duplicate"')
        replayed = Delivery.objects.exclude(pk=delivery.pk).get()
        assert (replayed.body, replayed.reason) == (delivery.body, "duplicate")
        assert replayed.headers["x-liveperson-signature"] == delivery.headers["x-liveperson-signature"]
        assert re.search(re.escape(raw), page.content()) is None
        assert secret not in page.content()
        watch.check("the replay's result")
    finally:
        forwarder.stop()
        receiver.stop()
    assert raw not in "\n".join(forwarder.stdout + forwarder.stderr)
