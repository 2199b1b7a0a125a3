"""One periodic check per process finds every subscriber that missed events."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from webhooks import resync, selectors
from webhooks.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)


class Subscriber:
    def __init__(self, last_seq: int):
        self.last_seq = last_seq
        self.caught_up = asyncio.Event()

    async def catch_up(self):
        self.caught_up.set()


def _conversation(name: str, last_seq: int) -> Conversation:
    return Conversation.objects.create(account_id="90000001", conversation_id=name, last_seq=last_seq)


@pytest.fixture(autouse=True)
def _short_grace(settings):
    settings.WEBHOOK_RESYNC_GRACE_SECONDS = 0.05


async def test_one_query_tells_only_the_subscribers_behind_to_catch_up(monkeypatch):
    first = await sync_to_async(_conversation)("first", 5)
    second = await sync_to_async(_conversation)("second", 2)
    behind, current, other = Subscriber(4), Subscriber(5), Subscriber(2)
    queries = []
    newest_seqs = selectors.newest_seqs

    def counted(**kwargs):
        queries.append(sorted(kwargs["pks"]))
        return newest_seqs(**kwargs)

    monkeypatch.setattr(selectors, "newest_seqs", counted)
    watch = resync.ResyncWatch()
    watch.add(first.pk, behind)
    watch.add(first.pk, current)
    watch.add(second.pk, other)

    await watch.check()
    await asyncio.wait_for(behind.caught_up.wait(), timeout=5)
    await asyncio.sleep(0)

    assert queries == [sorted([first.pk, second.pk])]
    assert not current.caught_up.is_set()
    assert not other.caught_up.is_set()
    for pk, subscriber in ((first.pk, behind), (first.pk, current), (second.pk, other)):
        watch.discard(pk, subscriber)
    assert watch.task is None  # nobody left to watch: the periodic task stops


async def test_the_periodic_task_runs_the_check(settings):
    settings.WEBHOOK_RESYNC_SECONDS = 0.05
    conversation = await sync_to_async(_conversation)("periodic", 3)
    subscriber = Subscriber(1)
    watch = resync.ResyncWatch()
    watch.add(conversation.pk, subscriber)

    await asyncio.wait_for(subscriber.caught_up.wait(), timeout=5)

    watch.discard(conversation.pk, subscriber)


async def test_a_subscriber_whose_events_arrive_during_the_grace_is_left_alone(settings):
    settings.WEBHOOK_RESYNC_GRACE_SECONDS = 0.3
    conversation = await sync_to_async(_conversation)("in-flight", 8)
    subscriber = Subscriber(6)  # 7 and 8 are committed and on their way
    watch = resync.ResyncWatch()
    watch.add(conversation.pk, subscriber)

    check = asyncio.create_task(watch.check())
    await asyncio.sleep(0.1)
    subscriber.last_seq = 8  # the broadcast arrives
    await check
    await asyncio.sleep(0)

    assert not subscriber.caught_up.is_set()
    watch.discard(conversation.pk, subscriber)
