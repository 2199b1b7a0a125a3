"""The one way to run blocking work (the database, LivePerson over HTTP) off the event loop.

`off_loop(func)` runs `func` in the loop's thread pool and closes the thread's
database connection when it returns, which with CONN_MAX_AGE=0 hands it back to
the psycopg pool.

Not channels' `database_sync_to_async`, for two reasons:

- Its default is thread-sensitive: every call of the process runs in one shared
  thread (channels' consumers open no per-socket thread context), so a slow
  LivePerson answer on one chat socket would hold up every other socket's
  catch-up and the periodic check.
- Its connection cleanup is switched off in tests. In production it is right:
  Django keeps connections in a thread-critical Local, a plain thread-local in
  the worker thread, and channels closes it there after each call (the
  connection does not stay with the socket). But channels' test communicators
  patch `channels.db.close_old_connections` to a no-op while a test talks to a
  socket, so in the thread pool every test left one pooled connection per
  worker thread behind and a few socket tests exhausted the pool. Closing here,
  with Django's own function, behaves the same in tests as in production
  (core/tests/test_offloop.py).
"""

import functools

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from django.db import close_old_connections


def off_loop(func):
    @functools.wraps(func)
    def closing(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(closing, thread_sensitive=False)


class OffLoopConsumer:
    """Mixin for a Channels consumer that reaches the database only through `off_loop`.

    Channels' `AsyncConsumer.dispatch` runs `close_old_connections` before every
    handler, in the process's one thread-sensitive thread: for every socket and
    every live broadcast a thread hop, queued behind whatever else that thread
    is doing. At full webhook load it was 8 % of daphne's CPU and a wait on every
    push (py-spy, bin/bench; docs/PERFORMANCE.md, 'What we learned'). Such a
    consumer holds no connection on the loop's side to clean up: each `off_loop`
    call closes its thread's connection as it returns. The dispatch is otherwise
    channels' own.
    """

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
