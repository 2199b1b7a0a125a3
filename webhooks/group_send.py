"""Many group messages at once, in as few Redis round trips as there are shards.

channels_redis's pub/sub layer sends each group_send as its own PUBLISH, one
at a time under a per-connection lock: a batch of webhooks for ten
conversations was eleven sequential round trips, each a socket write that
wakes Redis (py-spy showed them as a large share of daphne's event loop:
docs/PERFORMANCE.md, 'What we learned').
Here the PUBLISHes of one call go down one pipeline per shard.

Messages of the `local_types` given also go straight into the queues of this
process's own members of the group, before the PUBLISH: without that, a
subscriber in the process that stored the event waited for Redis to hand the
event back (a round trip to another process, on a busy machine a wait for a
core) and decoded it a second time (docs/PERFORMANCE.md, 'What we learned').
Their Redis copies carry this process's ORIGIN, so that its members drop
them (`from_this_process`); other processes' members, and this process's
members of groups it did not publish to, get them as before. Each event is
still sent once and in order: subscribers number them (webhooks/ordering.py),
and one that joins between the two copies reads the committed event from the
database in its first catch-up.

It uses the layer's per-loop internals (shards, group channel names), pinned
with channels-redis in requirements.txt. `pipelines_work` checks that they are
all there before the first use; if an upgrade removed or renamed one, every
call falls back to plain group_send (correct, one round trip per message), an
error is logged once and /health says "degraded" (core/degraded.py); the
contract test webhooks/tests/test_group_send_upstream.py fails as well. Any
other layer (the in-memory one of `make run`) gets plain group_send calls.
"""

import asyncio
import uuid
import weakref

from channels_redis.pubsub import RedisPubSubChannelLayer

from core import degraded

FALLBACK = "group_send_pipeline"
# This process's broadcasts, told apart when Redis hands them back.
ORIGIN = uuid.uuid4().hex


async def group_send_many(
    layer, messages: list[tuple[str, dict]], *, local_types: tuple[str, ...] = ()
) -> None:
    """Send each (group, message); raises what the layer raises. Messages of `local_types`
    reach this process's members of their group directly (see above)."""
    if not messages:
        return
    if not isinstance(layer, RedisPubSubChannelLayer) or not pipelines_work(layer):
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))
        return
    loop_layer = layer._get_layer()
    by_shard: dict[object, list[tuple[str, bytes]]] = {}
    for group, message in messages:
        channel = loop_layer._get_group_channel_name(group)
        if message["type"] in local_types and _deliver_here(loop_layer, channel, layer.serialize(message)):
            message = {**message, "origin": ORIGIN}
        by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, layer.serialize(message)))
    await asyncio.gather(*(_publish(shard, publishes) for shard, publishes in by_shard.items()))


def from_this_process(message: dict) -> bool:
    """Whether a group message is the Redis copy of one this process delivered directly."""
    return message.get("origin") == ORIGIN


def _deliver_here(loop_layer, group_channel: str, payload: bytes) -> bool:
    """Into the queue of each of this process's members of the group, as the layer's
    receiver does with what Redis sends; whether the group has members here."""
    members = loop_layer.groups.get(group_channel, ())
    for member in members:
        queue = loop_layer.channels.get(member)
        if queue is not None:
            queue.put_nowait(payload)
    return bool(members)


async def _publish(shard, publishes: list[tuple[str, bytes]]) -> None:
    # The shard's own lock and connection, as its publish() uses them.
    async with shard._lock:
        shard._ensure_redis()
        async with shard._redis.pipeline(transaction=False) as pipe:
            for channel, payload in publishes:
                pipe.publish(channel, payload)
            await pipe.execute()


# Checked once per layer, not on every broadcast: the classes do not change while it runs.
_checked: "weakref.WeakKeyDictionary[RedisPubSubChannelLayer, bool]" = weakref.WeakKeyDictionary()


def pipelines_work(layer: RedisPubSubChannelLayer) -> bool:
    """Whether the layer still has every internal this module uses (else: reported, False)."""
    if layer not in _checked:
        missing = _missing_internals(layer)
        if missing:
            degraded.report(FALLBACK, f"channels_redis lacks {', '.join(missing)}: one PUBLISH per message")
        _checked[layer] = not missing
    return _checked[layer]


def _missing_internals(layer) -> list[str]:
    loop_layer = getattr(layer, "_get_layer", lambda: None)()
    if loop_layer is None:
        return ["RedisPubSubChannelLayer._get_layer"]
    missing = [
        f"RedisPubSubLoopLayer.{name}"
        for name in ("_get_group_channel_name", "_get_shard", "_shards", "groups", "channels")
        if not hasattr(loop_layer, name)
    ]
    for shard in getattr(loop_layer, "_shards", [])[:1]:
        missing += [
            f"RedisSingleShardConnection.{n}"
            for n in ("_lock", "_ensure_redis", "_redis")
            if not hasattr(shard, n)
        ]
    return missing
