"""webhooks.exports: JSON lines streamed chunk by chunk, one account's rows only (API and pages)."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from accounts import access_tokens
from accounts.models import User
from webhooks import exports
from webhooks.tests import factories
from webhooks.tests.factories import ACCOUNT, OTHER_ACCOUNT

# The export reads its chunks in the event loop's thread pool: it sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def _user(account_id=ACCOUNT):
    return User.objects.create(username=f"{account_id}:dev", lp_account_id=account_id, lp_login_name="dev")


def _bearer(account_id=ACCOUNT) -> dict:
    return {"Authorization": f"Bearer {access_tokens.create(_user(account_id), name='t', scope='read')[1]}"}


async def _chunks(response) -> list[bytes]:
    assert response.status_code == 200
    assert response.streaming
    assert response.is_async
    return [chunk async for chunk in response.streaming_content]


def _lines(chunks: list[bytes]) -> list[dict]:
    text = b"".join(chunks).decode()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# --- From the API ---


async def test_the_api_streams_a_conversations_events_in_seq_order(async_client, monkeypatch):
    monkeypatch.setattr(exports, "EVENT_CHUNK", 2)
    conv = await _sync(factories.conversation)()
    for _ in range(5):
        await _sync(factories.event)(conv)
    headers = await _sync(_bearer)()

    response = await async_client.get(f"/api/v1/conversations/{conv.pk}/events/export", headers=headers)
    chunks = await _chunks(response)

    assert response["Content-Type"] == "application/x-ndjson"
    assert "attachment" in response["Content-Disposition"]
    assert len(chunks) == 3  # 2 + 2 + 1 rows: read chunk by chunk, never all at once
    lines = _lines(chunks)
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5]
    assert lines[0]["payload"]["event"]["message"] == "Hello"


async def test_the_api_streams_the_filtered_deliveries_with_bodies(async_client, monkeypatch):
    monkeypatch.setattr(exports, "DELIVERY_CHUNK", 2)
    accepted = [await _sync(factories.delivery)(minutes_ago=5 - n) for n in range(3)]
    await _sync(factories.delivery)(accepted=False)
    await _sync(factories.delivery)(account_id=OTHER_ACCOUNT)
    headers = await _sync(_bearer)()

    response = await async_client.get("/api/v1/deliveries/export", {"outcome": "accepted"}, headers=headers)
    lines = _lines(await _chunks(response))

    assert [line["id"] for line in lines] == [row.pk for row in reversed(accepted)]
    assert lines[0]["body"] == '{"kind": "notification"}'
    assert ["x-liveperson-client-id", factories.CLIENT_ID] in lines[0]["headers"]


async def test_the_api_export_needs_a_token(async_client):
    assert (await async_client.get("/api/v1/deliveries/export")).status_code == 401


async def test_the_api_never_exports_another_accounts_conversation(async_client):
    theirs = await _sync(factories.conversation)(account_id=OTHER_ACCOUNT)
    headers = await _sync(_bearer)()

    response = await async_client.get(f"/api/v1/conversations/{theirs.pk}/events/export", headers=headers)

    assert response.status_code == 404


async def test_an_empty_export_is_an_empty_file(async_client):
    headers = await _sync(_bearer)()

    response = await async_client.get("/api/v1/deliveries/export", headers=headers)

    assert await _chunks(response) == []


def _sync(function):
    return sync_to_async(function)


# --- From the pages ---


async def test_the_delivery_list_page_exports_its_filtered_rows(async_client):
    user = await _sync(_user)()
    await async_client.aforce_login(user)
    rejected = await _sync(factories.delivery)(accepted=False)
    await _sync(factories.delivery)()
    await _sync(factories.delivery)(account_id=OTHER_ACCOUNT, accepted=False)

    response = await async_client.get(reverse("webhooks:delivery-export"), {"outcome": "rejected"})

    assert [line["id"] for line in _lines(await _chunks(response))] == [rejected.pk]


async def test_the_conversation_page_exports_its_events(async_client):
    user = await _sync(_user)()
    await async_client.aforce_login(user)
    conv = await _sync(factories.conversation)()
    await _sync(factories.event)(conv)
    await _sync(factories.event)(conv)

    response = await async_client.get(reverse("webhooks:conversation-export", args=[conv.pk]))

    assert [line["seq"] for line in _lines(await _chunks(response))] == [1, 2]


async def test_the_pages_never_export_another_accounts_conversation(async_client):
    await async_client.aforce_login(await _sync(_user)())
    theirs = await _sync(factories.conversation)(account_id=OTHER_ACCOUNT)

    response = await async_client.get(reverse("webhooks:conversation-export", args=[theirs.pk]))

    assert response.status_code == 404


async def test_the_page_exports_need_a_login(async_client):
    response = await async_client.get(reverse("webhooks:delivery-export"))

    assert response.status_code == 302


def test_the_delivery_list_links_its_export_with_its_filters(client):
    client.force_login(_user())

    page = client.get(reverse("webhooks:delivery-list"), {"outcome": "rejected"}).content.decode()

    assert f'href="{reverse("webhooks:delivery-export")}?outcome=rejected"' in page


def test_the_conversation_page_links_its_export(client):
    client.force_login(_user())
    conv = factories.conversation()

    page = client.get(reverse("webhooks:conversation-detail", args=[conv.pk])).content.decode()

    assert f'href="{reverse("webhooks:conversation-export", args=[conv.pk])}"' in page
