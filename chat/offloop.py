"""Running blocking work (the database, LivePerson over HTTP) off the event loop.

`off_loop(func)` runs `func` in the thread pool, not in the one thread that
every thread-sensitive call shares, so a slow LivePerson stalls no other socket
or request. It closes the database connection before returning, inside the
context the function ran in: Django keeps connections in asgiref Locals, which
live in the caller's (copied) context, and channels' database_sync_to_async
closes them outside it (asgiref 3.13), so each socket kept a pooled connection
until it ended and a handful of sockets exhausted the pool.
"""

import functools

from asgiref.sync import sync_to_async
from django.db import close_old_connections


def off_loop(func):
    @functools.wraps(func)
    def closing(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(closing, thread_sensitive=False)
