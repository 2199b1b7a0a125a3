"""group_send_many against the real Redis pub/sub layer, and the in-memory one."""

import asyncio

from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

from webhooks.group_send import from_this_process, group_send_many


async def _members(layer, group: str, count: int) -> list[str]:
    channels = [await layer.new_channel() for _ in range(count)]
    for channel in channels:
        await layer.group_add(group, channel)
    return channels


async def _subscribed(layer, group: str, channel: str) -> None:
    """Until the group's subscription is live: Redis drops what is published before it.

    The receive waits across probes, uncancelled: channels_redis forgets a channel whose
    receive is cancelled."""
    receiving = asyncio.ensure_future(layer.receive(channel))
    try:
        async with asyncio.timeout(5):
            while not receiving.done():
                await layer.group_send(group, {"type": "probe"})
                await asyncio.wait({receiving}, timeout=0.05)  # a probe sent too early never comes
        receiving.result()  # raises what the receive raised
    finally:
        receiving.cancel()


async def _received(layer, channel: str, count: int) -> list[str]:
    """The next `count` messages' `n`, past any probe that arrived late."""
    received = []
    async with asyncio.timeout(5):
        while len(received) < count:
            message = await layer.receive(channel)
            if message["type"] != "probe":
                received.append(message["n"])
    return received


async def _every_member_gets_its_groups_messages_in_order(layer) -> None:
    first = await _members(layer, "g_first", 2)
    (second,) = await _members(layer, "g_second", 1)
    await _subscribed(layer, "g_first", first[0])  # one subscription per group serves its members
    await _subscribed(layer, "g_second", second)

    await group_send_many(
        layer,
        [
            ("g_first", {"type": "t", "n": "a"}),
            ("g_second", {"type": "t", "n": "b"}),
            ("g_first", {"type": "t", "n": "c"}),
        ],
    )

    for channel in first:
        assert await _received(layer, channel, 2) == ["a", "c"]
    assert await _received(layer, second, 1) == ["b"]


async def test_through_redis_one_pipeline_delivers_each_groups_messages_in_order():
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubChannelLayer)  # the suite runs on the real layer
    try:
        await _every_member_gets_its_groups_messages_in_order(layer)
    finally:
        await layer.flush()


async def test_other_layers_get_plain_group_sends():
    await _every_member_gets_its_groups_messages_in_order(InMemoryChannelLayer())


async def test_nothing_to_send_is_no_call():
    class Refusing:
        async def group_send(self, group, message):
            raise AssertionError("not expected")

    await group_send_many(Refusing(), [])


async def test_this_process_members_get_local_types_directly_and_redis_copies_say_so():
    layer = get_channel_layer()
    (here,) = await _members(layer, "g_local", 1)
    try:
        await _subscribed(layer, "g_local", here)  # so that Redis hands the copy back too

        await group_send_many(
            layer,
            [("g_local", {"type": "conversation.events", "n": "a"}), ("g_local", {"type": "t", "n": "b"})],
            local_types=("conversation.events",),
        )

        messages = []
        async with asyncio.timeout(5):
            while len(messages) < 3:
                message = await layer.receive(here)
                if message["type"] != "probe":
                    messages.append(message)
        # Directly first (before the PUBLISH), then what Redis sends: the copy, marked, and the other.
        assert [(m["n"], from_this_process(m)) for m in messages] == [("a", False), ("a", True), ("b", False)]
    finally:
        await layer.flush()
