"""An ASGI app that answers with the class of the event loop serving it (test_serve.py).

A module of its own: daphne imports it, and nothing here needs Django.
"""

import asyncio


async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    loop = type(asyncio.get_running_loop())
    body = f"{loop.__module__}.{loop.__qualname__}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
