"""The floor: a do-nothing ASGI app, served by daphne like the real one.

Whatever the webhook path costs beyond this is ours (Django, HMAC, the
database, the channel layer); what this costs is daphne's and the client's.
"""

RESPONSE_BODY = b'{"status":"accepted","events":1}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(RESPONSE_BODY)).encode())]


async def application(scope, receive, send):
    """200 to any HTTP request, after reading the whole body (as the receiver does)."""
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": RESPONSE_BODY})
