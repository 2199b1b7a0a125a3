"""Requests for an app not known here yet: held (answered 200), then verified and stored
in order once the app is known; bounded while held."""

import json
import select
from datetime import timedelta

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.utils import timezone

from apps_admin.models import Installation
from webhooks import held, payloads, refusals
from webhooks.models import Delivery, Event, PendingBroadcast
from webhooks.payloads import encode, headers_for
from webhooks.tests.conftest import post, post_signed

pytestmark = pytest.mark.django_db(transaction=True)

NEW_APP = "a-new-app-installed-elsewhere"
NEW_SECRET = "the-new-apps-secret"


def _install(client_id: str = NEW_APP, secret: str = NEW_SECRET) -> Installation:
    record = Installation(account_id=payloads.ACCOUNT, client_id=client_id, name="New", enabled=True)
    record.client_secret = secret
    record.save()
    return record


async def _post_for_new_app(*changes, secret: str = NEW_SECRET):
    return await post_signed(payloads.messaging(*changes), client_id=NEW_APP, secret=secret)


async def test_the_request_of_an_unknown_app_is_held_whole_and_answered_200(installation, settings):
    settings.WEBHOOK_UNVERIFIED_KEPT_BYTES = 100
    response = await _post_for_new_app(payloads.content(1, text="x" * 5000))

    assert response["status"] == 200  # LivePerson counts anything but 200 and 201 as a failure
    assert json.loads(response["body"])["status"] == "held"
    delivery = await Delivery.objects.aget()
    assert (delivery.reason, delivery.body_truncated) == ("held", False)
    assert len(delivery.body) > 5000


async def test_once_the_app_is_known_its_held_requests_are_stored_in_order(installation):
    for seq in (1, 2, 3):
        await _post_for_new_app(payloads.content(seq, text=f"message {seq}"))
    await sync_to_async(_install)()

    released = await sync_to_async(held.held_release)()

    assert released == 3
    events = [event async for event in Event.objects.order_by("seq")]
    assert [(e.seq, e.payload["event"]["message"]) for e in events] == [
        (1, "message 1"),
        (2, "message 2"),
        (3, "message 3"),
    ]
    deliveries = [d async for d in Delivery.objects.order_by("pk")]
    assert [(d.reason, d.status, d.signature_valid) for d in deliveries] == [("accepted", 200, True)] * 3
    assert "held from" in deliveries[0].detail
    assert await PendingBroadcast.objects.aexists()  # the worker's broadcast job sends them live


async def test_a_later_request_of_the_now_known_app_follows_the_released_ones(installation):
    await _post_for_new_app(payloads.content(1))
    await sync_to_async(_install)()
    await sync_to_async(held.held_release)()
    await _post_for_new_app(payloads.content(1))  # LivePerson's retry of the held one: a duplicate

    response = await _post_for_new_app(payloads.content(2))

    assert response["status"] == 200
    assert [e.seq async for e in Event.objects.order_by("seq")] == [1, 2]


async def test_held_requests_with_a_wrong_signature_are_kept_as_refused(installation, settings):
    settings.WEBHOOK_UNVERIFIED_KEPT_BYTES = 100
    await _post_for_new_app(payloads.content(1, text="y" * 1000), secret="forged")
    await sync_to_async(_install)()

    await sync_to_async(held.held_release)()

    delivery = await Delivery.objects.aget()
    assert (delivery.reason, delivery.status, len(delivery.body)) == ("bad_signature", 401, 100)
    assert await Event.objects.acount() == 0


async def test_nothing_is_released_while_the_app_stays_unknown(installation):
    await _post_for_new_app(payloads.content(1))

    assert await sync_to_async(held.held_release)() == 0
    assert (await Delivery.objects.aget()).reason == "held"


async def test_held_requests_expire_into_refused_ones(installation, settings):
    settings.WEBHOOK_HELD_HOURS = 1
    await _post_for_new_app(payloads.content(1))
    await Delivery.objects.aupdate(received_at=timezone.now() - timedelta(hours=2))

    await sync_to_async(held.held_release)()

    delivery = await Delivery.objects.aget()
    assert (delivery.reason, delivery.status) == ("unknown_app", 401)
    assert "never became known" in delivery.detail


async def test_an_account_can_hold_only_so_many_bytes(installation, settings):
    settings.WEBHOOK_HELD_MAX_BYTES_PER_ACCOUNT = 3000
    body = encode(payloads.messaging(payloads.content(1, text="z" * 1000)))
    headers = headers_for(body, client_id=NEW_APP, secret=NEW_SECRET)

    statuses = [(await post(body, headers))["status"] for _ in range(4)]

    assert statuses == [200, 200, 401, 401]
    refused = await Delivery.objects.filter(reason="unknown_app").afirst()
    assert "room for held requests is full" in refused.detail


async def test_all_accounts_together_can_hold_only_so_many_bytes(installation, settings):
    settings.WEBHOOK_HELD_MAX_BYTES = 3000
    body = encode(payloads.messaging(payloads.content(1, text="z" * 1000)))

    accounts = [f"9{n:07d}" for n in range(4)]
    responses = [await post(body, headers_for(body, account=a, client_id=NEW_APP)) for a in accounts]
    statuses = [response["status"] for response in responses]

    assert statuses == [200, 200, 401, 401]


async def test_an_uninstalled_app_is_refused_not_held(installation):
    record = await sync_to_async(_install)()
    record.deleted_at = timezone.now()
    await record.asave()

    response = await _post_for_new_app(payloads.content(1))

    assert response["status"] == 401
    assert (await Delivery.objects.aget()).detail == "the app was uninstalled"


def test_storing_the_installation_of_an_app_with_held_requests_wakes_the_workers(installation):
    Delivery.objects.create(
        account_id=payloads.ACCOUNT, client_id=NEW_APP, status=200, accepted=False, reason="held", body="{}"
    )
    params = connection.get_connection_params()
    info = {key: params[key] for key in ("dbname", "user", "host", "port", "password") if params.get(key)}
    with psycopg.connect(**info, autocommit=True) as listener:
        listener.execute("LISTEN connector_site_worker")
        _install()
        ready, _, _ = select.select([listener.fileno()], [], [], 5)
        notified = list(listener.notifies(timeout=0)) if ready else []

    assert [n.channel for n in notified] == ["connector_site_worker"]


async def test_beyond_the_senders_allowance_nothing_is_held_and_the_answer_is_401(installation, monkeypatch):
    monkeypatch.setattr(refusals, "_recorder", refusals.RefusalRecorder(per_minute=1, burst=2))

    statuses = [(await _post_for_new_app(payloads.content(seq)))["status"] for seq in (1, 2, 3)]

    assert statuses == [200, 200, 401]  # not kept, so not acknowledged: LivePerson sends it again
    assert await Delivery.objects.filter(reason="held").acount() == 2
