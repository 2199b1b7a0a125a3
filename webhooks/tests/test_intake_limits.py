"""What one request can cost the webhook intake, at its worst: bounded, refused
with a recorded 4xx, and never in the way of other deliveries."""

import asyncio
import json
import logging

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from webhooks import ingest, notifications, payloads, records, refusals
from webhooks.models import Conversation, Delivery, Event
from webhooks.payloads import encode, headers_for
from webhooks.tests.conftest import accepted_record, post, post_signed

pytestmark = pytest.mark.django_db(transaction=True)


def _body(response) -> dict:
    return json.loads(response["body"])


async def _latest() -> Delivery:
    return await Delivery.objects.alatest("pk")


def _many_changes(count: int, conversation: str = payloads.CONVERSATION) -> dict:
    changes = (payloads.content(seq, "x", conversation=conversation) for seq in range(count))
    return payloads.messaging(*changes)


# --- Many changes -----------------------------------------------------------------


async def test_a_notification_with_the_most_changes_allowed_is_stored(installation, settings):
    settings.WEBHOOK_MAX_CHANGES = 1000

    response = await post_signed(_many_changes(1000))

    assert (response["status"], _body(response)["events"]) == (200, 1000)
    assert await Event.objects.acount() == 1000


async def test_one_change_over_the_limit_is_refused_with_413_and_recorded(installation, settings):
    settings.WEBHOOK_MAX_CHANGES = 1000

    response = await post_signed(_many_changes(1001))

    assert response["status"] == 413
    assert _body(response)["status"] == "too_many_changes"
    delivery = await _latest()
    assert (delivery.reason, delivery.signature_valid, delivery.event_count) == ("too_many_changes", True, 0)
    assert "1001 changes" in delivery.detail
    assert await Event.objects.acount() == 0


async def test_forty_thousand_empty_changes_are_refused_not_a_5xx(installation):
    changes = [{}] * 40_000
    notification = {"kind": "notification", "type": notifications.MESSAGING, "body": {"changes": changes}}
    body = encode(notification)

    response = await post(body, headers_for(body))

    assert response["status"] == 413
    assert (await _latest()).reason == "too_many_changes"


def _lock_conversation(conversation_id: str):
    """Hold the conversation's row lock on a connection of its own, as another writer would."""
    conn = psycopg.connect(**_conninfo(), autocommit=False)
    conn.execute(
        "INSERT INTO webhooks_conversation (account_id, conversation_id, client_id, first_event_at,"
        " last_event_at, last_seq) VALUES (%s, %s, '', now(), now(), 0)",
        (payloads.ACCOUNT, conversation_id),
    )
    conn.commit()
    conn.execute(
        "SELECT 1 FROM webhooks_conversation WHERE conversation_id = %s FOR UPDATE", (conversation_id,)
    )
    return conn


async def _blocked_on_locks(count: int) -> None:
    """Returns once `count` backends of this database wait for a lock (the deadline: a failure)."""

    def waiting() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0]

    async with asyncio.timeout(10):
        while await sync_to_async(waiting)() < count:
            await asyncio.sleep(0.01)


def _conninfo() -> dict:
    params = connection.get_connection_params()
    return {key: params[key] for key in ("dbname", "user", "host", "port", "password") if params.get(key)}


async def test_a_large_delivery_being_stored_does_not_hold_up_the_others(installation, settings):
    settings.WEBHOOK_LARGE_DELIVERY_CHANGES = 50
    lock = await sync_to_async(_lock_conversation)("large-conversation")
    try:
        large = asyncio.ensure_future(post_signed(_many_changes(200, conversation="large-conversation")))
        await _blocked_on_locks(1)
        small = await post_signed(payloads.messaging(payloads.content(1)))
        assert small["status"] == 200
        assert not large.done()  # still waiting for the row lock, on its own connection
    finally:
        await sync_to_async(lock.close)()
    assert (await large)["status"] == 200
    assert await Event.objects.filter(conversation__conversation_id="large-conversation").acount() == 200


async def test_an_account_may_have_only_a_few_large_deliveries_waiting(installation, settings):
    settings.WEBHOOK_LARGE_DELIVERY_CHANGES = 50
    settings.WEBHOOK_LARGE_PENDING_PER_ACCOUNT = 2
    lock = await sync_to_async(_lock_conversation)("large-conversation")
    try:
        waiting = [
            asyncio.ensure_future(post_signed(_many_changes(60 + n, conversation="large-conversation")))
            for n in range(2)
        ]
        await _blocked_on_locks(1)  # the first is being stored, the second waits behind it
        third = await post_signed(_many_changes(70, conversation="large-conversation"))
    finally:
        await sync_to_async(lock.close)()

    assert third["status"] == 503
    assert [(await w)["status"] for w in waiting] == [200, 200]


# --- Fields a stranger chooses ------------------------------------------------------


async def test_an_over_long_method_is_recorded_cut_to_its_column(installation):
    response = await post(b"", {}, method="PROPFINDPROPFINDPROPF")

    assert response["status"] == 405
    assert (await _latest()).method == "PROPFINDPROPFIND"


async def test_over_long_headers_of_any_kind_are_recorded(installation):
    headers = {"x-liveperson-account-id": "9" * 500, "x-liveperson-client-id": "c" * 500, "x-j": "j" * 8000}

    response = await post(b"{}", headers)

    assert response["status"] == 401
    delivery = await _latest()
    assert (len(delivery.account_id), len(delivery.client_id)) == (64, 128)


async def test_one_bad_record_fails_alone_and_its_batch_is_stored(installation, caplog):
    """A record the database refuses (here: one not cut to its columns) is split out of its batch."""
    writer = ingest.get_writer()
    good = [_record(seq) for seq in range(1, 8)]
    bad = _record(99)
    bad.method, bad.request_id = "X" * 40, "the-bad-request"
    futures = [writer._lane.add(record) for record in [*good[:3], bad, *good[3:]]]

    results = await asyncio.gather(*futures, return_exceptions=True)

    assert [isinstance(result, DatabaseError) for result in results] == [False] * 3 + [True] + [False] * 4
    assert await Delivery.objects.acount() == 7
    (line,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert line.request_id == "the-bad-request"


def _record(seq: int) -> records.DeliveryRecord:
    return accepted_record(payloads.messaging(payloads.content(seq)))


@pytest.mark.parametrize(
    ("field", "value"),
    [("conversationId", "c" * 129), ("dialogId", "d" * 129)],
)
async def test_an_over_long_conversation_or_dialog_id_is_refused(installation, field, value):
    change = {**payloads.content(1), field: value}

    response = await post_signed(payloads.messaging(change))

    assert response["status"] == 400
    assert "longer than 128" in (await _latest()).detail


async def test_an_over_long_notification_type_is_refused(installation):
    response = await post_signed({**payloads.messaging(payloads.content(1)), "type": "t" * 65})

    assert response["status"] == 400
    assert (await _latest()).reason == "not_a_notification"


async def test_a_huge_sequence_still_dedupes_redeliveries(installation):
    change = payloads.content(10**300)

    first = await post_signed(payloads.messaging(change))
    again = await post_signed(payloads.messaging(change))

    assert (_body(first)["status"], _body(again)["status"]) == ("accepted", "duplicate")
    assert (await Event.objects.aget()).dedupe_key.startswith("sha256:")


# --- Bodies PostgreSQL cannot hold, nesting --------------------------------------


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
async def test_numbers_jsonb_cannot_hold_are_refused_as_malformed(installation, number):
    body = encode(payloads.messaging(payloads.content(1)))
    body = body.replace(b'"sequence":1,', b'"sequence":' + number + b",")

    response = await post(body, headers_for(body))

    assert response["status"] == 400
    assert (await _latest()).reason == "malformed_json"


async def test_nul_and_unpaired_surrogates_are_stored_replaced(installation):
    body = encode(payloads.messaging(payloads.content(1, text="PLACEHOLDER")))
    body = body.replace(b"PLACEHOLDER", b"a\\u0000b\\ud800c")

    response = await post(body, headers_for(body))

    assert response["status"] == 200
    event = await Event.objects.aget()
    assert event.payload["event"]["message"] == "a\ufffdb\ufffdc"


def _nested(depth: int) -> bytes:
    inner = encode(payloads.messaging(payloads.content(1)))
    return inner.replace(b'"messageAudience":"ALL"', b'"deep":' + b"[" * depth + b"]" * depth)


async def test_nesting_within_the_limit_is_stored(installation, settings):
    settings.WEBHOOK_MAX_DEPTH = 64
    body = _nested(60)

    assert (await post(body, headers_for(body)))["status"] == 200


@pytest.mark.parametrize("depth", [70, 1000, 100_000])
async def test_deeper_nesting_is_refused_with_400_and_recorded(installation, settings, depth):
    settings.WEBHOOK_MAX_DEPTH = 64
    body = _nested(depth)

    response = await post(body, headers_for(body))

    assert response["status"] == 400
    assert _body(response)["status"] == "too_deep"
    assert (await _latest()).reason == "too_deep"


# --- Unverified requests ---------------------------------------------------------


async def test_an_unverified_request_keeps_only_the_start_of_its_body(installation, settings):
    settings.WEBHOOK_UNVERIFIED_KEPT_BYTES = 2048
    body = encode(payloads.messaging(payloads.content(1, text="x" * 500_000)))

    response = await post(body, headers_for(body, secret="not-the-secret"))

    assert response["status"] == 401
    delivery = await _latest()
    assert (delivery.reason, len(delivery.body), delivery.body_truncated) == ("bad_signature", 2048, True)


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_refusals_beyond_a_senders_allowance_are_answered_and_counted(installation, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(refusals, "_recorder", refusals.RefusalRecorder(per_minute=60, burst=5, clock=clock))
    body = b'{"junk": true}'

    statuses = [(await post(body, headers_for(body, secret="wrong")))["status"] for _ in range(12)]
    recorded_in_burst = await Delivery.objects.acount()
    clock.now += 1.0  # one more token
    await post(body, headers_for(body, secret="wrong"))

    assert statuses == [401] * 12
    assert recorded_in_burst == 5
    assert (await _latest()).detail.startswith("7 refused requests from this address")


def test_ipv6_senders_are_counted_by_their_64_network():
    assert refusals.sender_key("2001:db8:1:2:aaaa::1") == refusals.sender_key("2001:db8:1:2:bbbb::2")
    assert refusals.sender_key("2001:db8:1:3::1") != refusals.sender_key("2001:db8:1:2::1")
    assert refusals.sender_key("192.0.2.7") == "192.0.2.7"


def test_the_table_of_senders_is_bounded(monkeypatch):
    monkeypatch.setattr(refusals, "MAX_SENDERS", 100)
    recorder = refusals.RefusalRecorder(per_minute=60, burst=1)

    for n in range(1000):
        recorder.admit(f"10.0.{n // 256}.{n % 256}")

    assert len(recorder._buckets) == 100


async def test_accepted_deliveries_are_never_limited(installation, monkeypatch):
    monkeypatch.setattr(refusals, "_recorder", refusals.RefusalRecorder(per_minute=1, burst=1))

    statuses = [
        (await post_signed(payloads.messaging(payloads.content(seq))))["status"] for seq in range(1, 21)
    ]

    assert statuses == [200] * 20
    assert await Conversation.objects.values_list("last_seq", flat=True).aget() == 20
