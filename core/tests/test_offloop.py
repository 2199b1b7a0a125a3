"""off_loop: blocking work in the thread pool, no call waiting on another.

That every connection goes back to the pool is tested on open sockets in
webhooks/tests/test_consumers.py."""

import asyncio
import threading

from core.offloop import off_loop


async def test_a_slow_call_holds_up_no_other_one():
    release = threading.Event()
    slow = asyncio.ensure_future(off_loop(release.wait)(10))  # a LivePerson call that takes its time
    try:
        assert await asyncio.wait_for(off_loop(lambda: "quick")(), timeout=5) == "quick"
    finally:
        release.set()
    assert await slow
