"""group_send_many against the real Redis pub/sub layer, and the in-memory one."""

import asyncio

from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

from webhooks.group_send import group_send_many


async def _members(layer, group: str, count: int) -> list[str]:
    channels = [await layer.new_channel() for _ in range(count)]
    for channel in channels:
        await layer.group_add(group, channel)
    return channels


async def _received(layer, channel: str, count: int) -> list[str]:
    return [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(count)]


async def _every_member_gets_its_groups_messages_in_order(layer) -> None:
    first = await _members(layer, "g_first", 2)
    (second,) = await _members(layer, "g_second", 1)
    await asyncio.sleep(0.1)  # the subscriptions reach Redis

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
