"""The site's forwarder stream (/ws/forward/), as an async iterator of frames."""

import json
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

MAX_FRAME_BYTES = 64 * 1024 * 1024  # a notification body is at most a few MB on the site


class TokenRefused(Exception):
    """The site does not accept the token (unknown, revoked, or not allowed to forward)."""


class StreamRefused(Exception):
    """The site closed the stream for a reason retrying will not fix; the message says which."""


def stream_url(site: str) -> str:
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--site must be the site's http(s) address, not {site!r}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws/forward/", "", ""))


def origin_of(site: str) -> str:
    parts = urlsplit(site)
    return f"{parts.scheme}://{parts.netloc}"


class Stream:
    """One connection: `async with Stream(site, token) as stream`, then `send` and `frames()`."""

    def __init__(self, site: str, token: str):
        self.site, self._token = site, token
        self.socket = None

    async def __aenter__(self) -> "Stream":
        try:
            self.socket = await connect(
                stream_url(self.site),
                # In the handshake, never in the URL: URLs end up in logs.
                additional_headers={"Authorization": f"Bearer {self._token}"},
                origin=origin_of(self.site),
                max_size=MAX_FRAME_BYTES,
                open_timeout=10,
            )
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                raise TokenRefused() from None
            raise
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.socket.close()

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def next_frame(self) -> dict:
        """The next frame, errors included (for a request that expects an answer)."""
        return json.loads(await self.socket.recv())

    @staticmethod
    def _error(error: str) -> None:
        if error == "token revoked":
            raise TokenRefused()
        if error != "unknown_type":  # an answer to a command this client never sends
            raise StreamRefused(error)

    async def frames(self):
        """Each frame the site sends; ends when the connection does."""
        try:
            async for raw in self.socket:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    self._error(frame.get("error", ""))
                    continue
                yield frame
        except ConnectionClosed:
            pass
        code = self.socket.close_code
        if code == 4401:
            raise TokenRefused()
        if code == 4400:
            raise StreamRefused("the site refused the subscription")
