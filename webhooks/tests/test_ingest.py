"""The batch transaction, in both implementations: plain SQL for PostgreSQL and the ORM."""

import asyncio

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from webhooks import ingest, payloads, publish, records, store, store_postgresql
from webhooks.models import Conversation, Delivery, Event
from webhooks.notifications import parse
from webhooks.payloads import encode

pytestmark = pytest.mark.django_db(transaction=True)

IMPLEMENTATIONS = pytest.mark.parametrize(
    "store", [store_postgresql.store_batch, store.store_batch_orm], ids=["postgresql", "orm"]
)


def _record(*changes, conversation_change=None, accepted=True) -> records.DeliveryRecord:
    notification = conversation_change or payloads.messaging(*changes)
    notification_type, parsed = parse(encode(notification))
    return records.DeliveryRecord(
        status=200 if accepted else 401,
        accepted=accepted,
        reason="accepted" if accepted else "bad_signature",
        account_id=payloads.ACCOUNT,
        client_id=payloads.CLIENT_ID,
        notification_type=notification_type,
        changes=parsed,
        headers={"x-liveperson-client-id": payloads.CLIENT_ID},
        body="{}",
    )


@IMPLEMENTATIONS
def test_it_numbers_events_per_conversation_across_batches(store):
    other = "another-conversation"
    store([_record(payloads.content(1)), _record(payloads.content(1, conversation=other))])
    stored = store([_record(payloads.content(2), payloads.content(2, conversation=other))])

    assert [(e.conversation.conversation_id, e.seq) for e in stored[0].events] == [
        (payloads.CONVERSATION, 2),
        (other, 2),
    ]
    assert dict(Conversation.objects.values_list("conversation_id", "last_seq")) == {
        payloads.CONVERSATION: 2,
        other: 2,
    }
    assert Event.objects.count() == 4


@IMPLEMENTATIONS
def test_it_stores_a_redelivery_once_even_within_one_batch(store):
    stored = store([_record(payloads.content(1)), _record(payloads.content(1))])

    assert [s.delivery.reason for s in stored] == ["accepted", "duplicate"]
    assert [len(s.events) for s in stored] == [1, 0]
    assert Delivery.objects.count() == 2
    assert Event.objects.count() == 1


@IMPLEMENTATIONS
def test_rejected_deliveries_are_recorded_without_events(store):
    stored = store([_record(payloads.content(1), accepted=False)])

    assert stored[0].events == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.accepted, delivery.reason) == (401, False, "bad_signature")
    assert not Conversation.objects.exists()


@IMPLEMENTATIONS
def test_it_returns_what_the_broadcast_needs(store):
    (stored,) = store([_record(payloads.content(1))])

    message = stored.events[0].as_message()
    assert message["id"] == Event.objects.get().pk
    assert message["seq"] == 1
    assert message["conversation"] == Conversation.objects.get().pk
    summary = publish.delivery_summary(stored)
    assert summary["id"] == Delivery.objects.get().pk
    assert summary["conversations"] == [
        {"id": Conversation.objects.get().pk, "conversation_id": payloads.CONVERSATION}
    ]


@IMPLEMENTATIONS
def test_what_it_returns_is_what_the_database_holds_without_asking_it_again(store, django_assert_num_queries):
    other = "another-conversation"
    stored = store(
        [_record(payloads.content(1), payloads.content(1, conversation=other)), _record(payloads.content(2))]
    )

    with django_assert_num_queries(0):  # nothing left to read: no field deferred that the broadcast uses
        messages = [event.as_message() for item in stored for event in item.events]
        summaries = [publish.delivery_summary(item) for item in stored]

    assert sorted(messages, key=lambda m: m["id"]) == [
        event.as_message() for event in Event.objects.order_by("pk")
    ]
    read_back = [
        records.Stored(delivery, list(delivery.events.select_related("conversation").order_by("pk")))
        for delivery in Delivery.objects.order_by("pk")
    ]
    assert summaries == [publish.delivery_summary(item) for item in read_back]


@IMPLEMENTATIONS
def test_changes_without_a_conversation_are_kept_unnumbered(store):
    change = payloads.content(1)
    del change["conversationId"], change["dialogId"]

    store([_record(change)])

    event = Event.objects.get()
    assert (event.conversation_id, event.seq) == (None, None)


def test_nul_characters_are_stored_instead_of_failing_the_batch():
    stored = store_postgresql.store_batch(
        [_record(payloads.content(1, text="bad\x00byte")), _record(payloads.content(2))]
    )

    assert [len(s.events) for s in stored] == [1, 1]
    assert Event.objects.get(seq=1).payload["event"]["message"] == "bad\ufffdbyte"


def _terminate_backend(pid: int) -> None:
    """What a PostgreSQL restart does to an open connection, done from another one."""
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"]) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_lost_connection_fails_the_batch_as_a_database_error_and_the_next_batch_reconnects():
    ingest._store_batch_in_writer_thread([_record(payloads.content(1))])
    _terminate_backend(connection.connection.info.backend_pid)

    # A DatabaseError is what the writer answers with 503 (and drops the connection for).
    with pytest.raises(DatabaseError):
        ingest._store_batch_in_writer_thread([_record(payloads.content(2))])
    stored = ingest._store_batch_in_writer_thread([_record(payloads.content(2))])

    assert [event.seq for event in stored[0].events] == [2]


async def test_a_lost_connection_of_the_event_loop_store_fails_as_a_database_error_then_reconnects():
    store = store_postgresql.AsyncStore()
    try:
        await store.store_batch([_record(payloads.content(1))])
        await sync_to_async(_terminate_backend)(store._connection.info.backend_pid)

        with pytest.raises(DatabaseError):
            await store.store_batch([_record(payloads.content(2))])
        stored = await store.store_batch([_record(payloads.content(2))])
    finally:
        await store.close()

    assert [event.seq for event in stored[0].events] == [2]


async def test_when_the_database_goes_away_a_whole_batch_fails_at_once(monkeypatch):
    """Each delivery retried alone would wait for a connection in turn, past LivePerson's 2.5 s."""
    writer = ingest.IngestWriter()
    attempts = []
    store_batch = writer._lane._async_store.store_batch

    async def counted(records):
        attempts.append(len(records))
        return await store_batch(records)

    monkeypatch.setattr(writer._lane._async_store, "store_batch", counted)
    loop = asyncio.get_running_loop()
    try:
        await writer.store(_record(payloads.content(1)))
        await sync_to_async(_terminate_backend)(writer._lane._async_store._connection.info.backend_pid)
        attempts.clear()

        # Three deliveries arrive while the writer is busy: they form one batch.
        results = await asyncio.gather(
            *(writer.store(_record(payloads.content(seq))) for seq in (2, 3, 4)), return_exceptions=True
        )
        failed_attempts = list(attempts)
        # LivePerson's retry finds the database back, on a new connection.
        retried = await writer.store(_record(payloads.content(2)))
    finally:
        await loop.run_in_executor(None, writer.close)

    assert [isinstance(result, DatabaseError) for result in results] == [True, True, True]
    assert failed_attempts == [3]
    assert [event.seq for event in retried.events] == [2]
