"""EventOrder: events in seq order, each once; a gap waits a moment, then the database fills it."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from webhooks.ordering import EventOrder


def _events(*seqs: int) -> list[dict]:
    return [{"seq": seq, "text": f"event {seq}"} for seq in seqs]


def _seqs(events: list[dict]) -> list[int]:
    return [event["seq"] for event in events]


@dataclass
class Timer:
    delay: float
    callback: Callable[[], None]
    cancelled: bool = False
    fired: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """The gap's timers, expired by the test rather than by the clock."""

    def __init__(self):
        self.armed: list[Timer] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        self.armed.append(Timer(delay, callback))
        return self.armed[-1]

    @property
    def pending(self) -> list[Timer]:
        return [timer for timer in self.armed if not timer.cancelled and not timer.fired]

    async def expire(self) -> None:
        """The wait is over for every pending timer; a catch-up one starts runs its first step."""
        for timer in self.pending:
            timer.fired = True
            timer.callback()
        await asyncio.sleep(0)  # one loop turn: the fake fill_gap has no await


class Subscriber:
    """Counts the database catch-ups the order asks for."""

    def __init__(self, last_seq: int = 0):
        self.fills = 0
        self.filled = asyncio.Event()
        self.timers = Timers()
        self.order = EventOrder(last_seq, fill_gap=self.fill_gap, call_later=self.timers.call_later)

    async def fill_gap(self):
        self.fills += 1
        self.filled.set()


@pytest.fixture(autouse=True)
def _short_wait(settings):
    settings.WEBHOOK_GAP_WAIT_SECONDS = 0.05


async def test_events_that_follow_go_at_once_and_in_order():
    subscriber = Subscriber(last_seq=2)

    assert _seqs(subscriber.order.live(_events(4, 3))) == [3, 4]
    assert subscriber.order.last_seq == 4
    assert not subscriber.order.waiting


async def test_events_already_sent_are_dropped():
    subscriber = Subscriber(last_seq=3)

    assert subscriber.order.live(_events(2, 3)) == []
    assert _seqs(subscriber.order.live(_events(3, 4))) == [4]


async def test_an_event_after_a_gap_waits_for_the_missing_one_without_the_database():
    subscriber = Subscriber(last_seq=1)

    assert subscriber.order.live(_events(3)) == []
    assert subscriber.order.waiting
    assert _seqs(subscriber.order.live(_events(2))) == [2, 3]

    [timer] = subscriber.timers.armed
    assert timer.cancelled  # the timer was disarmed
    await subscriber.timers.expire()  # well past the wait
    assert subscriber.fills == 0
    assert not subscriber.order.waiting


async def test_a_gap_inside_one_broadcast_sends_what_follows_and_holds_the_rest():
    subscriber = Subscriber(last_seq=1)

    assert _seqs(subscriber.order.live(_events(2, 4))) == [2]
    assert subscriber.order.waiting


async def test_a_gap_that_stays_asks_the_database_once_after_the_wait():
    subscriber = Subscriber(last_seq=1)
    subscriber.order.live(_events(3))
    subscriber.order.live(_events(4))

    assert [timer.delay for timer in subscriber.timers.pending] == [0.05]  # one, of the setting
    assert subscriber.fills == 0  # not before the wait
    await subscriber.timers.expire()
    await asyncio.wait_for(subscriber.filled.wait(), timeout=5)
    await subscriber.timers.expire()  # nothing was armed again

    assert subscriber.fills == 1


async def test_the_database_fills_the_gap_and_releases_what_was_held():
    subscriber = Subscriber(last_seq=1)
    subscriber.order.live(_events(3, 5))

    # The database has 2 and 3 (a page of them), then 4 and 5.
    assert _seqs(subscriber.order.from_database(_events(2, 3))) == [2, 3]
    assert subscriber.order.waiting  # 5 still waits for 4
    assert _seqs(subscriber.order.from_database(_events(4, 5))) == [4, 5]
    assert not subscriber.order.waiting
    assert subscriber.order.last_seq == 5


async def test_the_database_is_taken_as_it_is_where_old_events_were_deleted():
    subscriber = Subscriber(last_seq=1)

    # The retention cleanup deleted 2-9: nothing will ever fill that gap.
    assert _seqs(subscriber.order.from_database(_events(10, 11))) == [10, 11]
    assert subscriber.order.last_seq == 11


async def test_when_the_database_has_nothing_more_the_held_events_go():
    subscriber = Subscriber(last_seq=1)
    subscriber.order.live(_events(7))

    assert _seqs(subscriber.order.caught_up()) == [7]
    assert subscriber.order.last_seq == 7
    assert not subscriber.order.waiting


async def test_closing_stops_the_timer():
    subscriber = Subscriber(last_seq=1)
    subscriber.order.live(_events(3))

    subscriber.order.close()
    await subscriber.timers.expire()

    assert [timer.cancelled for timer in subscriber.timers.armed] == [True]
    assert subscriber.fills == 0
