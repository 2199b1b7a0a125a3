"""What webhooks/group_send.py relies on in channels_redis, checked against the
installed version: this fails when an upgrade changes those internals, and the
fallback it then takes is loud (logged, on /health), never silent."""

import logging

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from core import degraded
from webhooks import group_send
from webhooks.tests.test_group_send import _every_member_gets_its_groups_messages_in_order


def _layer(shards: int) -> RedisPubSubChannelLayer:
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    # The same server several times: separate connections, hashed as shards are.
    return RedisPubSubChannelLayer(hosts=config["hosts"] * shards, prefix=config["prefix"] + "_upstream")


@pytest.fixture(autouse=True)
def _no_fallback_yet():
    degraded.clear()
    yield
    degraded.clear()


@pytest.mark.parametrize("shards", [1, 3])
async def test_the_installed_channels_redis_has_every_internal_used(shards):
    layer = _layer(shards)
    try:
        assert group_send._missing_internals(layer) == []
        await _every_member_gets_its_groups_messages_in_order(layer)
        assert degraded.active() == {}  # the pipelines did it, not the fallback
    finally:
        await layer.flush()


class _RenamedInternals(RedisPubSubChannelLayer):
    """A future channels_redis whose loop layer no longer has _get_shard."""

    def _get_layer(self):
        return _WithoutGetShard(super()._get_layer())


class _WithoutGetShard:
    def __init__(self, loop_layer):
        self._loop_layer = loop_layer

    def __getattr__(self, name):
        if name == "_get_shard":
            raise AttributeError(name)
        return getattr(self._loop_layer, name)


@pytest.mark.django_db
async def test_without_them_it_falls_back_to_plain_group_sends_and_says_so(caplog, async_client):
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer = _RenamedInternals(hosts=config["hosts"], prefix=config["prefix"] + "_upstream")
    try:
        with caplog.at_level(logging.ERROR, logger="core.degraded"):
            await _every_member_gets_its_groups_messages_in_order(layer)
    finally:
        await layer.flush()

    assert "RedisPubSubLoopLayer._get_shard" in degraded.active()[group_send.FALLBACK]
    assert [r.getMessage() for r in caplog.records if r.name == "core.degraded"] == [
        f"degraded: {group_send.FALLBACK}: {degraded.active()[group_send.FALLBACK]}"
    ]  # once, however many calls fell back
    health = (await async_client.get("/health")).json()
    assert (health["status"], health["degraded"]) == ("degraded", [group_send.FALLBACK])
