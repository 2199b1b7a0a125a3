"""The app's custom headers: masked on display, kept encrypted for the forwarder and replays."""

import pytest

from webhooks import payloads, receiver
from webhooks.forwarding import original_headers
from webhooks.models import Delivery
from webhooks.tests.conftest import post

pytestmark = pytest.mark.django_db(transaction=True)


def _signed(**extra) -> tuple[bytes, dict]:
    body = payloads.encode(payloads.messaging(payloads.content(1)))
    custom = {"x-api-key": "k-123", "x-forwarded-for": "203.0.113.9"}
    return body, {**payloads.headers_for(body), **custom, **extra}


async def test_a_verified_delivery_keeps_its_custom_headers_sealed(installation):
    body, headers = _signed()
    await post(body, headers)

    delivery = await Delivery.objects.aget()
    assert delivery.headers["x-api-key"] == "•••• (5 characters)"
    assert "k-123" not in delivery.sealed_headers
    assert receiver.unsealed_headers(delivery.sealed_headers) == {"x-api-key": "k-123"}
    forwarded = original_headers(delivery)
    assert forwarded["x-api-key"] == "k-123"
    assert forwarded["x-liveperson-signature"] == headers["x-liveperson-signature"]
    assert "x-forwarded-for" not in forwarded


async def test_a_refused_request_keeps_no_header_values(installation):
    body, headers = _signed(**{"x-liveperson-signature": "sha1=forged"})
    await post(body, headers)

    delivery = await Delivery.objects.aget()
    assert (delivery.reason, delivery.sealed_headers) == ("bad_signature", "")


async def test_a_custom_header_cannot_replace_liveperson_s_own(installation):
    body, headers = _signed()
    await post(body, headers)
    delivery = await Delivery.objects.aget()
    delivery.sealed_headers = receiver.sealed_headers({"x-liveperson-signature": "sha1=custom", "x-a": "b"})

    assert original_headers(delivery)["x-liveperson-signature"] == headers["x-liveperson-signature"]


def test_headers_sealed_with_a_retired_key_are_left_out(settings):
    sealed = receiver.sealed_headers({"x-api-key": "k-123"})
    settings.FIELD_ENCRYPTION_KEYS = ["0" * 43 + "="]

    assert receiver.unsealed_headers(sealed) == {}
