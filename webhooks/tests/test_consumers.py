"""The live-event sockets: ordered, gap-free, per account, with real Redis."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels import consumer as channels_consumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection

from accounts.models import User
from connector_site.asgi import application
from webhooks import payloads, records, resync, selectors, store
from webhooks.models import Conversation
from webhooks.tests.conftest import accepted_record, post_signed

pytestmark = pytest.mark.django_db(transaction=True)


def _socket(path: str, cookie: str | None):
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def _store_silently(*changes) -> list[records.Stored]:
    """Store events as the receiver does, without broadcasting them (a lost message)."""
    return store.store_batch([accepted_record(payloads.messaging(*changes))])


async def _conversation() -> Conversation:
    return await Conversation.objects.aget()


async def _seqs(communicator) -> list[int]:
    return [event["seq"] for event in (await communicator.receive_json_from(timeout=5))["events"]]


async def _streaming(communicator, conversation_pk: int) -> None:
    """Connect, and wait until the socket's first catch-up is over (it registers with the
    periodic check right after it): events stored from here on reach it live or as a gap."""
    assert (await communicator.connect())[0]
    async with asyncio.timeout(5):
        while not resync.watch().subscribers.get(conversation_pk):
            await asyncio.sleep(0.005)


async def test_it_refuses_an_anonymous_socket(installation):
    await post_signed(payloads.messaging(payloads.content(1)))
    communicator = _socket(f"/ws/conversations/{(await _conversation()).pk}/events/", None)

    connected, code = await communicator.connect()

    assert (connected, code) == (False, 4403)


async def test_it_refuses_a_conversation_of_another_account(installation, client):
    await post_signed(payloads.messaging(payloads.content(1)))
    other = await User.objects.acreate(username="le90000002:admin", lp_account_id="le90000002")
    await sync_to_async(client.force_login)(other)
    communicator = _socket(
        f"/ws/conversations/{(await _conversation()).pk}/events/", client.cookies["sessionid"].value
    )

    connected, code = await communicator.connect()

    assert (connected, code) == (False, 4404)


async def test_it_sends_the_history_after_the_given_seq_then_live_events(installation, session_cookie):
    for sequence in (1, 2, 3):
        await post_signed(payloads.messaging(payloads.content(sequence)))
    communicator = _socket(f"/ws/conversations/{(await _conversation()).pk}/events/?after=1", session_cookie)
    assert (await communicator.connect())[0]

    assert await _seqs(communicator) == [2, 3]
    await post_signed(payloads.messaging(payloads.content(4)))
    assert await _seqs(communicator) == [4]
    await communicator.disconnect()


async def test_it_fills_a_gap_left_by_a_lost_message_from_the_database(installation, session_cookie):
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/?after=1", session_cookie)
    await _streaming(communicator, conversation.pk)

    await sync_to_async(_store_silently)(payloads.content(2), payloads.content(3))  # never broadcast
    await post_signed(payloads.messaging(payloads.content(4)))

    received = await _seqs(communicator)
    assert received == [2, 3, 4]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_it_fills_a_gap_inside_one_message(installation, session_cookie, settings):
    # Two processes: one broadcasts seqs 2 and 4 together, the other's 3 is lost.
    settings.WEBHOOK_GAP_WAIT_SECONDS = 0.05
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/?after=1", session_cookie)
    await _streaming(communicator, conversation.pk)
    stored = await sync_to_async(_store_silently)(
        payloads.content(2), payloads.content(3), payloads.content(4)
    )
    two, _, four = (event.as_message() for event in stored[0].events)

    await get_channel_layer().group_send(
        conversation.group_name, {"type": "conversation.events", "events": [two, four]}
    )

    assert await _seqs(communicator) == [2]
    assert await _seqs(communicator) == [3, 4]  # from the database, after the wait
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_it_puts_broadcasts_that_arrive_out_of_order_back_in_order_without_the_database(
    installation, session_cookie, monkeypatch
):
    # Two processes commit seqs 2 and 3; the second one's broadcast comes first.
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/?after=1", session_cookie)
    await _streaming(communicator, conversation.pk)
    stored = await sync_to_async(_store_silently)(payloads.content(2), payloads.content(3))
    two, three = (event.as_message() for event in stored[0].events)
    reads = []
    events_after = selectors.events_after
    monkeypatch.setattr(selectors, "events_after", lambda **kw: reads.append(kw) or events_after(**kw))
    layer = get_channel_layer()

    await layer.group_send(conversation.group_name, {"type": "conversation.events", "events": [three]})
    assert await communicator.receive_nothing(timeout=0.05)  # 3 waits for 2
    await layer.group_send(conversation.group_name, {"type": "conversation.events", "events": [two]})

    assert await _seqs(communicator) == [2, 3]
    assert await communicator.receive_nothing(timeout=0.5)  # past the wait: no catch-up
    assert reads == []
    await communicator.disconnect()


async def test_it_drops_messages_it_has_already_sent(installation, session_cookie):
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/", session_cookie)
    assert (await communicator.connect())[0]
    first = await communicator.receive_json_from()

    await get_channel_layer().group_send(
        conversation.group_name, {"type": "conversation.events", "events": first["events"]}
    )

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_live_broadcast_reaches_the_socket_without_a_hop_to_the_sync_thread(
    installation, session_cookie, monkeypatch
):
    # Channels' dispatch sends every message through close_old_connections in its one
    # sync thread first; these sockets hold no connection on the loop (core/offloop.py).
    hops = []
    cleanup = channels_consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        await cleanup()

    monkeypatch.setattr(channels_consumer, "aclose_old_connections", counted)
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/", session_cookie)
    await _streaming(communicator, conversation.pk)
    assert await _seqs(communicator) == [1]
    hops.clear()

    await post_signed(payloads.messaging(payloads.content(2)))

    assert await _seqs(communicator) == [2]
    assert hops == []
    await communicator.disconnect()


async def test_an_event_stored_in_this_process_reaches_its_socket_once(installation, session_cookie):
    # Directly, and again through Redis marked as this process's: the socket sends it once.
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await _conversation()
    communicator = _socket(f"/ws/conversations/{conversation.pk}/events/", session_cookie)
    await _streaming(communicator, conversation.pk)
    assert await _seqs(communicator) == [1]

    await post_signed(payloads.messaging(payloads.content(2)))
    await post_signed(payloads.messaging(payloads.content(3)))

    assert await _seqs(communicator) == [2]
    assert await _seqs(communicator) == [3]
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_it_notices_missed_events_even_when_nothing_else_arrives(
    installation, session_cookie, settings
):
    settings.WEBHOOK_RESYNC_SECONDS = 0.2
    await post_signed(payloads.messaging(payloads.content(1)))
    communicator = _socket(f"/ws/conversations/{(await _conversation()).pk}/events/?after=1", session_cookie)
    assert (await communicator.connect())[0]

    await sync_to_async(_store_silently)(payloads.content(2))

    assert await _seqs(communicator) == [2]
    await communicator.disconnect()


async def test_it_answers_a_sync_request(installation, session_cookie):
    await post_signed(payloads.messaging(payloads.content(1)))
    communicator = _socket(f"/ws/conversations/{(await _conversation()).pk}/events/?after=1", session_cookie)
    assert (await communicator.connect())[0]
    await sync_to_async(_store_silently)(payloads.content(2))

    await communicator.send_json_to({"type": "sync"})

    assert await _seqs(communicator) == [2]
    await communicator.disconnect()


async def test_the_account_stream_pushes_accepted_deliveries(installation, session_cookie):
    communicator = _socket("/ws/events/", session_cookie)
    assert (await communicator.connect())[0]

    await post_signed(payloads.messaging(payloads.content(1)))
    await post_signed(payloads.messaging(payloads.content(2)), secret="wrong")

    message = await communicator.receive_json_from(timeout=5)
    (delivery,) = message["deliveries"]
    assert (delivery["status"], delivery["reason"], delivery["event_types"]) == (
        200,
        "accepted",
        ["ContentEvent"],
    )
    assert delivery["conversations"][0]["conversation_id"] == payloads.CONVERSATION
    assert await communicator.receive_nothing(timeout=0.3)  # the rejected one is never broadcast
    await communicator.disconnect()


async def test_the_account_stream_syncs_everything_newer_rejected_included(installation, session_cookie):
    await post_signed(payloads.messaging(payloads.content(1)))
    await post_signed(payloads.messaging(payloads.content(2)), secret="wrong")
    communicator = _socket("/ws/events/", session_cookie)
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"type": "sync", "after_id": 0})

    deliveries = (await communicator.receive_json_from())["deliveries"]
    assert [d["reason"] for d in deliveries] == ["accepted", "bad_signature"]
    await communicator.disconnect()


async def test_the_account_stream_refuses_anonymous_sockets():
    connected, code = await _socket("/ws/events/", None).connect()

    assert (connected, code) == (False, 4403)


def _checked_out() -> int:
    """Connections lent by the psycopg pool and not yet handed back (core/offloop.py)."""
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


async def test_open_sockets_hold_no_pooled_connection(installation, session_cookie, settings):
    settings.WEBHOOK_RESYNC_SECONDS = 3600  # no periodic check's query while counting
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await Conversation.objects.aget()
    path = f"/ws/conversations/{conversation.pk}/events/"
    first = _socket(path, session_cookie)
    assert (await first.connect(timeout=10))[0]  # a loaded machine: not the 1 s default
    assert await _seqs(first) == [1]
    await _caught_up(conversation.pk, sockets=1)
    # Counted once the first socket is up: the session and auth middleware's calls
    # run in channels' one shared thread, which keeps its connection under test.
    before = _checked_out()

    sockets = [_socket(path, session_cookie) for _ in range(12)]  # more than the pool holds
    for communicator in sockets:
        assert (await communicator.connect(timeout=10))[0]
        assert await _seqs(communicator) == [1]
    # After its "events" frame a socket asks the database once more (nothing newer?):
    # counted while that query runs, its connection looked kept.
    await _caught_up(conversation.pk, sockets=13)

    assert _checked_out() <= before  # others may hand theirs back meanwhile; none is kept
    for communicator in [first, *sockets]:
        await communicator.disconnect(timeout=10)


async def _caught_up(conversation_pk: int, *, sockets: int) -> None:
    """Until that many sockets have finished their first catch-up (they register with the
    periodic check right after it)."""
    async with asyncio.timeout(10):
        while len(resync.watch().subscribers.get(conversation_pk, ())) < sockets:
            await asyncio.sleep(0.005)
