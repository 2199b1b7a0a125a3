"""The forwarder's socket /ws/forward/: token auth, exact bodies and signatures,
catch-up from a cursor, each notification once, revocation, hostile cursors."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import access_tokens
from accounts.models import User
from connector_site.asgi import application
from webhooks import consumers, forwarding, notifications, payloads, store
from webhooks.consumers import ForwardConsumer
from webhooks.models import Conversation, Delivery
from webhooks.tests.conftest import accepted_record, post_signed

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_CONVERSATION = "5491c2f1-1c9e-4e39-a5d2-2c6b6e4b0002"


@pytest.fixture
def token(transactional_db):
    user = User.objects.create(username="90000001:admin", lp_account_id=payloads.ACCOUNT)
    return access_tokens.create(user, name="laptop", scope="forward")


def _socket(raw: str | None):
    headers = [(b"origin", b"http://localhost")]
    if raw:
        headers.append((b"authorization", f"Bearer {raw}".encode()))
    return WebsocketCommunicator(application, "/ws/forward/", headers=headers)


async def _subscribed(raw: str, **subscribe) -> tuple[WebsocketCommunicator, int]:
    communicator = _socket(raw)
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "subscribe", **subscribe})
    subscribed = await communicator.receive_json_from(timeout=5)
    assert subscribed["type"] == "subscribed"
    return communicator, subscribed["origin"]


async def _until_live(communicator) -> list[dict]:
    frames = []
    while (frame := await communicator.receive_json_from(timeout=5))["type"] != "live":
        frames.append(frame)
    return frames


async def _notification(communicator) -> dict:
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "notification", frame
    return frame


async def test_it_refuses_a_socket_without_a_valid_token(installation):
    assert await _socket(None).connect() == (False, 4401)
    assert await _socket("cst_" + "x" * 40).connect() == (False, 4401)


async def test_it_sends_each_notification_with_its_exact_body_and_signature(installation, token):
    _, raw = token
    communicator, _ = await _subscribed(raw)
    assert await _until_live(communicator) == []

    await post_signed(payloads.messaging(payloads.content(1, "hi")))
    frame = await _notification(communicator)

    delivery = await Delivery.objects.aget()
    assert frame["body"] == delivery.body
    signature = frame["headers"]["x-liveperson-signature"]
    assert notifications.signature_valid(frame["body"].encode(), signature, payloads.SECRET)
    assert frame["headers"]["x-liveperson-account-id"] == payloads.ACCOUNT
    assert frame["headers"]["x-liveperson-client-id"] == payloads.CLIENT_ID
    conversation = await Conversation.objects.aget()
    assert frame["positions"] == {str(conversation.pk): 1}
    assert frame["conversations"] == {str(conversation.pk): payloads.CONVERSATION}
    await communicator.disconnect()


async def test_it_catches_up_from_the_cursor_in_order_then_goes_live(installation, token):
    _, raw = token
    for sequence in (1, 2, 3):
        await post_signed(payloads.messaging(payloads.content(sequence)))
    conversation = await Conversation.objects.aget()
    cursor = {"origin": 0, "seqs": {str(conversation.pk): 1}}

    communicator, _ = await _subscribed(raw, cursor=cursor)
    caught_up = await _until_live(communicator)
    await post_signed(payloads.messaging(payloads.content(4)))
    live = await _notification(communicator)

    assert [f["positions"][str(conversation.pk)] for f in [*caught_up, live]] == [2, 3, 4]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_new_subscriber_starts_after_what_is_stored(installation, token):
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1)))

    communicator, origin = await _subscribed(raw)

    assert await _until_live(communicator) == []
    assert origin > 0
    await communicator.disconnect()


async def test_a_cursor_origin_covers_conversations_it_does_not_name(installation, token):
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1)))
    first, origin = await _subscribed(raw)
    await first.disconnect()
    # While the client was away: its known conversation and a new one got events.
    await post_signed(payloads.messaging(payloads.content(2)))
    await post_signed(payloads.messaging(payloads.content(1, conversation=OTHER_CONVERSATION)))

    communicator, _ = await _subscribed(raw, cursor={"origin": origin, "seqs": {}})
    frames = await _until_live(communicator)

    assert sorted(list(f["conversations"].values())[0] for f in frames) == sorted(
        [payloads.CONVERSATION, OTHER_CONVERSATION]
    )
    await communicator.disconnect()


async def test_it_sends_a_notification_of_two_conversations_once(installation, token):
    _, raw = token
    communicator, _ = await _subscribed(raw)
    await _until_live(communicator)

    await post_signed(
        payloads.messaging(payloads.content(1), payloads.content(1, conversation=OTHER_CONVERSATION))
    )
    frame = await _notification(communicator)

    assert len(frame["positions"]) == 2
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_it_fills_a_lost_broadcast_from_the_database(installation, token):
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1)))
    communicator, _ = await _subscribed(raw, cursor={"origin": 0, "seqs": {}})
    assert len(await _until_live(communicator)) == 1

    lost = accepted_record(payloads.messaging(payloads.content(2)))
    await sync_to_async(store.store_batch)([lost])  # stored, never broadcast
    await post_signed(payloads.messaging(payloads.content(3)))

    conversation = await Conversation.objects.aget()
    frames = [await _notification(communicator), await _notification(communicator)]
    assert [f["positions"][str(conversation.pk)] for f in frames] == [2, 3]
    await communicator.disconnect()


async def test_it_only_sends_the_app_it_was_asked_for(installation, token):
    _, raw = token
    communicator, _ = await _subscribed(raw, app="some-other-app")
    await _until_live(communicator)

    await post_signed(payloads.messaging(payloads.content(1)))

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_it_closes_the_socket_of_a_revoked_token(installation, token, monkeypatch):
    record, raw = token
    ticks: asyncio.Queue = asyncio.Queue()

    async def next_tick(_seconds):
        await ticks.get()

    monkeypatch.setattr(ForwardConsumer, "sleep", staticmethod(next_tick))
    communicator, _ = await _subscribed(raw)
    await _until_live(communicator)

    await ticks.put(None)  # still active: nothing happens
    assert await communicator.receive_nothing(timeout=0.2)
    await sync_to_async(access_tokens.revoke)(record.user, record.pk)
    await ticks.put(None)

    assert (await communicator.receive_json_from(timeout=5))["error"] == "token revoked"
    assert (await communicator.receive_output(timeout=5))["code"] == 4401


@pytest.mark.parametrize(
    "subscribe",
    [
        {"cursor": {"origin": -1}},
        {"cursor": {"origin": 2**64}},
        {"cursor": {"origin": True}},
        {"cursor": {"origin": 0, "seqs": {"x": 1}}},
        {"cursor": {"origin": 0, "seqs": {str(n): 0 for n in range(6000)}}},
        {"cursor": "everything"},
        {"since": "yesterday"},
        {"app": "a" * 1000},
    ],
)
async def test_it_refuses_a_hostile_subscription(installation, token, subscribe):
    _, raw = token
    communicator = _socket(raw)
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"type": "subscribe", **subscribe})

    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    assert (await communicator.receive_output(timeout=5))["code"] == 4400


async def test_it_sends_one_stored_delivery_of_the_account_only(installation, token):
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1)))
    delivery = await Delivery.objects.aget()
    other = await sync_to_async(Delivery.objects.create)(
        account_id="90000002", status=200, accepted=True, reason="accepted", body="{}"
    )
    communicator = _socket(raw)
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"type": "delivery", "id": delivery.pk})
    found = await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "delivery", "id": other.pk})
    refused = await communicator.receive_json_from(timeout=5)

    assert (found["type"], found["body"]) == ("delivery", delivery.body)
    assert refused == {"type": "error", "error": "no such accepted delivery"}
    await communicator.disconnect()


async def test_it_follows_one_conversation_once_it_exists(installation, token):
    _, raw = token
    communicator, _ = await _subscribed(raw, conversation=OTHER_CONVERSATION)
    await _until_live(communicator)

    await post_signed(payloads.messaging(payloads.content(1)))
    await post_signed(payloads.messaging(payloads.content(1, conversation=OTHER_CONVERSATION)))
    frame = await _notification(communicator)

    assert list(frame["conversations"].values()) == [OTHER_CONVERSATION]
    assert frame["event_types"] == ["ContentEvent"]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_notification_caught_up_in_two_batches_is_sent_once(installation, token, monkeypatch):
    monkeypatch.setattr(forwarding, "BATCH", 1)  # each catch-up query returns one event
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1), payloads.content(2)))
    await post_signed(payloads.messaging(payloads.content(3)))

    communicator, _ = await _subscribed(raw, cursor={"origin": 0, "seqs": {}})
    frames = await _until_live(communicator)

    assert [list(f["positions"].values()) for f in frames] == [[2], [3]]
    await communicator.disconnect()


async def test_a_token_has_a_bounded_number_of_open_streams(installation, token):
    _, raw = token
    opened = [_socket(raw) for _ in range(consumers.MAX_STREAMS_PER_TOKEN)]
    for communicator in opened:
        assert (await communicator.connect())[0]

    refused = _socket(raw)
    assert (await refused.connect())[0]
    assert (await refused.receive_json_from(timeout=5))["error"] == "too many open streams for this token"
    assert (await refused.receive_output(timeout=5))["code"] == 4429
    await opened[0].disconnect()
    again = _socket(raw)
    assert (await again.connect())[0]
    for communicator in [*opened[1:], again]:
        await communicator.disconnect()


async def test_live_notifications_that_arrive_during_a_read_are_read_together(
    installation, token, monkeypatch
):
    # Each live notification's body is a database read; one read per channel message
    # made the stream fall behind at a few hundred per second (docs/PERFORMANCE.md).
    reads, live, first_read_may_end = [], threading.Event(), threading.Event()
    read = forwarding.notifications

    def held_read(**kwargs):
        if live.is_set():
            reads.append(sorted(kwargs["delivery_ids"]))
            if len(reads) == 1:
                first_read_may_end.wait(5)
        return read(**kwargs)

    monkeypatch.setattr(forwarding, "notifications", held_read)
    _, raw = token
    await post_signed(payloads.messaging(payloads.content(1)))
    communicator, _ = await _subscribed(raw, cursor={"origin": 0, "seqs": {}})
    assert len(await _until_live(communicator)) == 1
    live.set()

    for sequence in (2, 3, 4, 5):  # 2 is read alone and held; 3-5 arrive meanwhile
        await post_signed(payloads.messaging(payloads.content(sequence)))
    assert await communicator.receive_nothing(timeout=0.5)
    first_read_may_end.set()
    frames = [await _notification(communicator) for _ in range(4)]

    conversation = await Conversation.objects.aget()
    assert [f["positions"][str(conversation.pk)] for f in frames] == [2, 3, 4, 5]
    assert [len(ids) for ids in reads] == [1, 3]
    await communicator.disconnect()
