"""Many group messages at once, in as few Redis round trips as there are shards.

channels_redis's pub/sub layer sends each group_send as its own PUBLISH, one
at a time under a per-connection lock: a batch of webhooks for ten
conversations was eleven sequential round trips, each a socket write that
wakes Redis (py-spy: about a fifth of daphne's event loop at 100 webhooks/s).
Here the PUBLISHes of one call go down one pipeline per shard.

It uses the layer's per-loop internals (shards, group channel names), pinned
with channels-redis in requirements.txt; any other layer (the in-memory one of
`make run`) gets plain group_send calls.
"""

import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer


async def group_send_many(layer, messages: list[tuple[str, dict]]) -> None:
    """Send each (group, message); raises what the layer raises."""
    if not messages:
        return
    if not isinstance(layer, RedisPubSubChannelLayer):
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))
        return
    loop_layer = layer._get_layer()
    by_shard: dict[object, list[tuple[str, bytes]]] = {}
    for group, message in messages:
        channel = loop_layer._get_group_channel_name(group)
        by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, layer.serialize(message)))
    await asyncio.gather(*(_publish(shard, publishes) for shard, publishes in by_shard.items()))


async def _publish(shard, publishes: list[tuple[str, bytes]]) -> None:
    # The shard's own lock and connection, as its publish() uses them.
    async with shard._lock:
        shard._ensure_redis()
        async with shard._redis.pipeline(transaction=False) as pipe:
            for channel, payload in publishes:
                pipe.publish(channel, payload)
            await pipe.execute()
