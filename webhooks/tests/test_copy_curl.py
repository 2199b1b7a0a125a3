"""'Copy as curl' on a delivery's page: LivePerson's headers and the body, secrets as variables."""

import shlex

import pytest
from django.urls import reverse

from accounts.models import User
from webhooks import exports
from webhooks.tests import factories

pytestmark = pytest.mark.django_db

HEADERS = {
    "host": "connector.example.com",
    "content-type": "application/json",
    "x-liveperson-account-id": "90000001",
    "x-liveperson-client-id": factories.CLIENT_ID,
    "x-liveperson-signature": "sha1=f00dfeed",
    "x-forwarded-for": "203.0.113.9",
    # As the receiver stores them: custom headers masked (webhooks.receiver.masked).
    "authorization": "•••• (27 characters)",
    "x-api-key": "•••• (12 characters)",
}
BODY = '{"kind": "notification", "text": "it\'s"}'


def _argv(command: str) -> list[str]:
    lines = [line for line in command.splitlines() if not line.startswith("#")]
    return shlex.split(" ".join(line.rstrip("\\") for line in lines))


def test_it_resends_the_body_with_liveperson_headers_to_a_placeholder():
    argv = _argv(exports.delivery_curl(factories.delivery(headers=HEADERS, body=BODY)))

    assert argv[:4] == ["curl", "-X", "POST", exports.CURL_PLACEHOLDER_URL]
    assert argv[-2:] == ["--data-binary", BODY]
    sent = [argv[i + 1] for i, part in enumerate(argv) if part == "-H"]
    assert "x-liveperson-signature: sha1=f00dfeed" in sent
    assert "x-liveperson-account-id: 90000001" in sent
    assert f"x-liveperson-client-id: {factories.CLIENT_ID}" in sent
    assert "content-type: application/json" in sent


def test_masked_headers_become_variables_and_hop_headers_are_left_out():
    command = exports.delivery_curl(factories.delivery(headers=HEADERS, body=BODY))

    assert '-H "authorization: $AUTHORIZATION"' in command
    assert '-H "x-api-key: $X_API_KEY"' in command
    assert "••••" not in command
    assert "connector.example.com" not in command
    assert "203.0.113.9" not in command


def test_a_truncated_body_is_said_to_be_so():
    command = exports.delivery_curl(factories.delivery(headers=HEADERS, body=BODY, body_truncated=True))

    assert command.startswith("# Only the start of this body was stored")


def test_the_delivery_page_shows_the_command_and_a_copy_button(client):
    client.force_login(User.objects.create(username="90000001:dev", lp_account_id="90000001"))
    delivery = factories.delivery(headers=HEADERS, body=BODY)

    page = client.get(reverse("webhooks:delivery-detail", args=[delivery.pk])).content.decode()

    assert 'data-testid="delivery-curl"' in page
    assert 'data-copy-target="[data-testid=delivery-curl]"' in page
    assert "x-liveperson-signature: sha1=f00dfeed" in page
    assert "$X_API_KEY" in page
