"""The CLI's lanes: in order per conversation, one refused conversation holding up
only itself, a notification of two conversations posted once, after both."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from connector_site_cli.lanes import Lanes
from connector_site_cli.local import Result
from connector_site_cli.main import forward


def _frame(delivery: int, *conversations: str) -> dict:
    return {"delivery": delivery, "positions": {c: delivery for c in conversations}}


async def test_each_conversation_in_order_and_a_stuck_one_alone():
    posted, release = [], asyncio.Event()

    async def forward(frame):
        if frame["delivery"] == 1:
            await release.wait()  # the local server keeps refusing it, for now
        posted.append(frame["delivery"])

    lanes = Lanes(forward)
    for frame in (_frame(1, "a"), _frame(2, "a"), _frame(3, "b"), _frame(4, "b")):
        lanes.put(frame)
    for _ in range(5):
        await asyncio.sleep(0)
    assert posted == [3, 4]

    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert posted == [3, 4, 1, 2]
    await lanes.close()


async def test_a_notification_of_two_conversations_waits_for_both_and_is_posted_once():
    posted, release = [], asyncio.Event()

    async def forward(frame):
        if frame["delivery"] == 1:
            await release.wait()
        posted.append(frame["delivery"])

    lanes = Lanes(forward)
    for frame in (_frame(1, "a"), _frame(2, "a", "b"), _frame(3, "b")):
        lanes.put(frame)
    for _ in range(5):
        await asyncio.sleep(0)
    assert posted == []  # 2 heads b's lane but waits for a's; 3 waits behind 2

    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert posted == [1, 2, 3]
    await lanes.close()


async def test_closing_drops_what_is_queued():
    posted, release = [], asyncio.Event()

    async def forward(frame):
        await release.wait()
        posted.append(frame["delivery"])

    lanes = Lanes(forward)
    lanes.put(_frame(1, "a"))
    lanes.put(_frame(2, "a"))
    await asyncio.sleep(0)
    await lanes.close()
    release.set()
    await asyncio.sleep(0)

    assert posted == []


async def test_a_stop_during_a_post_still_records_its_2xx():
    answered = threading.Event()

    class SlowServer:
        def post(self, body, headers):
            answered.wait(5)
            return Result(200, "OK", 1.0)

    recorded = []
    frame = {
        "body": "{}",
        "headers": {},
        "delivery": 7,
        "received_at": "2026-01-01T00:00:00.000",
        "conversations": {},
        "notification_type": "x",
        "positions": {"1": 1},
    }
    with ThreadPoolExecutor(max_workers=1) as executor:
        posting = asyncio.ensure_future(forward(frame, SlowServer(), executor, on_success=recorded.append))
        await asyncio.sleep(0.05)
        posting.cancel()
        await asyncio.sleep(0.05)
        answered.set()
        with pytest.raises(asyncio.CancelledError):
            await posting

    assert recorded == [frame]


async def test_a_2xx_is_recorded_before_the_next_post_starts():
    # A SIGKILL while a POST waits for its answer must leave every earlier 2xx
    # recorded: recorded on the event loop, the 2xx of POSTs the one thread had
    # already moved past were still unrecorded and were sent again on restart.
    recorded, recorded_when_posted = [], []

    class Server:
        def post(self, body, headers):
            recorded_when_posted.append([frame["delivery"] for frame in recorded])
            return Result(200, "OK", 1.0)

    def frame(delivery: int) -> dict:
        return {
            "body": "{}",
            "headers": {},
            "delivery": delivery,
            "received_at": "2026-01-01T00:00:00.000",
            "conversations": {},
            "notification_type": "x",
            "positions": {str(delivery): 1},
        }

    with ThreadPoolExecutor(max_workers=1) as executor:
        # Three conversations: their POSTs queue in the one POST thread together.
        await asyncio.gather(
            *(forward(frame(d), Server(), executor, on_success=recorded.append) for d in (1, 2, 3))
        )

    assert recorded_when_posted == [[], [1], [1, 2]]
