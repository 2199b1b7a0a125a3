"""Replays and test notifications from the pages: sent to the app's own endpoint
(a real local HTTP server here), signed, results shown; private and plain-http
targets refused while the sandbox is off; rate-limited; POST with CSRF only."""

import contextlib
import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts import access_tokens
from accounts.models import User
from apps_admin.models import Installation
from webhooks import notifications, outbound, payloads, sends
from webhooks.tests.conftest import post_signed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONTENT = "ms.MessagingEventNotification.ContentEvent"


class Endpoint:
    """The app's webhook endpoint: answers `status` with a body, keeps each request."""

    def __init__(self, status=200, answer=b'{"ok": true}'):
        self.requests: list[tuple[dict, bytes]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                endpoint.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    served = Endpoint()
    yield served
    served.close()


@pytest.fixture(autouse=True)
def _no_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser_client(installation, endpoint):
    installation.endpoints = {CONTENT: endpoint.url, "cqm.ExConversationChangeNotification": endpoint.url}
    installation.save()
    user = User.objects.create(username="90000001:admin", lp_account_id=payloads.ACCOUNT)
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


async def _accepted_delivery():
    from webhooks.models import Delivery

    await post_signed(payloads.messaging(payloads.content(1)))
    return await Delivery.objects.aget()


@pytest.fixture
def delivery(installation):
    from asgiref.sync import async_to_sync

    return async_to_sync(_accepted_delivery)()


def test_a_replay_sends_the_stored_body_and_signature_and_shows_the_result(
    browser_client, delivery, endpoint
):
    page = browser_client.post(reverse("webhooks:delivery-replay", args=[delivery.pk]))

    assert page.status_code == 200
    ((headers, body),) = endpoint.requests
    assert body.decode() == delivery.body
    assert notifications.signature_valid(body, headers["x-liveperson-signature"], payloads.SECRET)
    assert headers["x-liveperson-client-id"] == payloads.CLIENT_ID
    html = page.content.decode()
    assert 'data-testid="send-status"><span class="badge on">200' in html
    assert "{&quot;ok&quot;: true}" in html
    assert payloads.SECRET not in html


def test_a_test_notification_is_signed_with_the_app_secret_for_each_endpoint(browser_client, endpoint):
    page = browser_client.post(
        reverse("webhooks:app-test-notification", args=[payloads.CLIENT_ID]), {"kind": "all"}
    )

    assert page.status_code == 200
    assert len(endpoint.requests) == 2
    types = set()
    for headers, body in endpoint.requests:
        assert notifications.signature_valid(body, headers["x-liveperson-signature"], payloads.SECRET)
        notification_type, changes = notifications.parse(body)
        types.add(notification_type)
        assert changes
    assert types == {"ms.MessagingEventNotification", "cqm.ExConversationChangeNotification"}
    assert page.content.decode().count('data-testid="send-result"') == 2
    assert payloads.SECRET not in page.content.decode()


def test_the_endpoint_s_failure_is_shown_with_its_body(installation, settings):
    failing = Endpoint(status=500, answer=b"x" * (outbound.RESPONSE_KEPT_BYTES + 10))
    installation.endpoints = {CONTENT: failing.url}
    installation.save()
    try:
        ((_, answer),) = sends.test_notification_send(
            user_id=1, account_id=payloads.ACCOUNT, client_id=payloads.CLIENT_ID, kind=CONTENT
        )
    finally:
        failing.close()

    assert (answer.status, answer.ok, answer.body_truncated) == (500, False, True)
    assert len(answer.body) == outbound.RESPONSE_KEPT_BYTES


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.216.34/hook", "only https"),
        ("https://127.0.0.1/hook", "non-public"),
        ("https://localhost/hook", "non-public"),
        ("https://10.0.0.8/hook", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),
        ("https://[::1]/hook", "non-public"),
        ("https://[::ffff:127.0.0.1]/hook", "non-public"),
        ("https://[64:ff9b::a00:1]/hook", "non-public"),
        ("https://user:pw@93.184.216.34/hook", "credentials"),
        ("ftp://93.184.216.34/hook", "only https"),
    ],
)
def test_with_the_sandbox_off_it_refuses_private_and_plain_targets(installation, settings, url, why):
    settings.SANDBOX_ENABLED = False
    installation.endpoints = {CONTENT: url}
    installation.save()

    ((_, answer),) = sends.test_notification_send(
        user_id=1, account_id=payloads.ACCOUNT, client_id=payloads.CLIENT_ID, kind=CONTENT
    )

    assert answer.status is None
    assert answer.error.startswith("refused:")
    assert why in answer.error


def test_with_the_sandbox_off_the_local_endpoint_gets_nothing(browser_client, delivery, endpoint, settings):
    settings.SANDBOX_ENABLED = False

    page = browser_client.post(reverse("webhooks:delivery-replay", args=[delivery.pk]))

    assert "refused: only https endpoints are called" in page.content.decode()
    assert endpoint.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("ff02::1", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert outbound.is_public(ipaddress.ip_address(address)) is public


def test_sends_are_limited_per_user(browser_client, endpoint):
    url = reverse("webhooks:app-test-notification", args=[payloads.CLIENT_ID])
    for _ in range(sends.SENDS_PER_MINUTE):
        assert browser_client.post(url, {"kind": CONTENT}).status_code == 200

    refused = browser_client.post(url, {"kind": CONTENT})

    assert refused.status_code == 400
    assert "At most 20 sends a minute" in refused.content.decode()
    assert len(endpoint.requests) == sends.SENDS_PER_MINUTE


def test_only_a_post_with_its_csrf_token_sends(browser_client, delivery, endpoint):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.get())
    url = reverse("webhooks:delivery-replay", args=[delivery.pk])

    assert strict.post(url).status_code == 403
    assert browser_client.get(url).status_code == 405
    assert endpoint.requests == []


def test_another_account_s_delivery_or_app_is_refused(browser_client, delivery, endpoint):
    Installation.objects.filter(pk__isnull=False).update(account_id="90000002")

    replay = browser_client.post(reverse("webhooks:delivery-replay", args=[delivery.pk]))
    test = browser_client.post(
        reverse("webhooks:app-test-notification", args=[payloads.CLIENT_ID]), {"kind": "all"}
    )

    assert "not installed on your account" in replay.content.decode()
    assert "not installed on your account" in test.content.decode()
    assert endpoint.requests == []
    assert json.dumps(payloads.SECRET) not in replay.content.decode()


def _api_replay(client, delivery, scope: str):
    raw = access_tokens.create(User.objects.get(), name="script", scope=scope)[1]
    url = f"/api/v1/deliveries/{delivery.pk}/replay"
    return client.post(url, headers={"Authorization": f"Bearer {raw}"})


def test_the_api_replays_with_a_full_token(browser_client, delivery, endpoint):
    answer = _api_replay(Client(), delivery, "full")

    assert answer.status_code == 200
    (result,) = answer.json()
    assert (result["webhook"], result["status"], result["body"]) == (CONTENT, 200, '{"ok": true}')
    ((headers, body),) = endpoint.requests
    assert body.decode() == delivery.body
    assert notifications.signature_valid(body, headers["x-liveperson-signature"], payloads.SECRET)


def test_the_api_does_not_replay_with_a_read_token(browser_client, delivery, endpoint):
    answer = _api_replay(Client(), delivery, "read")

    assert answer.status_code == 403
    assert endpoint.requests == []


def test_an_endpoint_that_answers_a_byte_at_a_time_is_cut_off(installation, monkeypatch):
    monkeypatch.setattr(outbound, "TOTAL_SECONDS", 0.5)
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.1):  # a header byte every 0.1 s: each read is quick, the whole never ends
            with contextlib.suppress(OSError):
                connection.sendall(b"X")
        connection.close()

    threading.Thread(target=drip, daemon=True).start()
    installation.endpoints = {CONTENT: f"http://127.0.0.1:{server.getsockname()[1]}/hook"}
    installation.save()
    try:
        ((_, answer),) = sends.test_notification_send(
            user_id=1, account_id=payloads.ACCOUNT, client_id=payloads.CLIENT_ID, kind=CONTENT
        )
    finally:
        stop.set()
        server.close()

    assert answer.status is None
    assert answer.error.startswith("no answer in time")
    assert answer.milliseconds < 3000
