"""Live webhook events over WebSockets: one conversation's, an account's deliveries,
and an account's notifications for the forwarder (token clients).

The conversation's socket is the shared event stream of webhooks/streaming.py
(each event once and in order, nothing missed unnoticed) plus a "sync" command.
"""

import asyncio
import logging
from collections import Counter

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import access_tokens
from core.offloop import OffLoopConsumer, off_loop
from webhooks import forwarding, selectors
from webhooks.models import account_group_name
from webhooks.streaming import AccountEventStream, ConversationEventStream

logger = logging.getLogger(__name__)

NOT_ALLOWED = 4403
NOT_FOUND = 4404


class ConversationEventsConsumer(ConversationEventStream, AsyncJsonWebsocketConsumer):
    """/ws/conversations/<pk>/events/?after=<seq>: one conversation's events."""

    # --- Socket handlers ---

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous:
            return await self.close(code=NOT_ALLOWED)
        pk = self.scope["url_route"]["kwargs"]["pk"]
        conversation = await off_loop(selectors.conversation_for)(pk=pk, account_id=user.lp_account_id)
        if conversation is None:
            return await self.close(code=NOT_FOUND)
        await self.stream_join(conversation)
        await self.accept()
        await self.stream_start()

    async def disconnect(self, code):
        await self.stream_leave()

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "sync":
            await self.catch_up()
        else:
            await self.send_json({"type": "error", "error": "unknown_type"})


class AccountDeliveriesConsumer(OffLoopConsumer, AsyncJsonWebsocketConsumer):
    """/ws/events/: the account's accepted deliveries as they arrive."""

    group = None

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous or not user.lp_account_id:
            return await self.close(code=NOT_ALLOWED)
        self.account_id = user.lp_account_id
        self.group = account_group_name(self.account_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") != "sync":
            return await self.send_json({"type": "error", "error": "unknown_type"})
        after_id = content.get("after_id") if isinstance(content.get("after_id"), int) else 0
        deliveries = await off_loop(selectors.deliveries_after)(account_id=self.account_id, after_id=after_id)
        await self.send_json({"type": "deliveries", "deliveries": deliveries})

    async def account_deliveries(self, event):
        await self.send_json({"type": "deliveries", "deliveries": event["deliveries"]})


NOT_AUTHENTICATED = 4401
BAD_REQUEST = 4400
TOKEN_REVOKED = 4401
TOO_MANY_STREAMS = 4429
# One laptop needs a stream or two; each may follow thousands of conversations, so a
# token's streams are bounded (per process: a bound on work, not an exact quota).
MAX_STREAMS_PER_TOKEN = 5
_open_streams: Counter[int] = Counter()


class ForwardConsumer(AccountEventStream, AsyncJsonWebsocketConsumer):
    """/ws/forward/: the token's account's accepted notifications, for `connector-site listen`.

    The client authenticates with `Authorization: Bearer <token>` in the handshake
    (scope "forward" or wider), then sends one {"type": "subscribe", "app",
    "conversation", "cursor" | "since" | "since_delivery"} frame; the stream
    sends each notification once, in order per conversation (docs/FORWARDING.md).
    {"type": "delivery", "id": N} asks for one stored delivery (`connector-site replay`).
    """

    token = None
    checking = None
    # Replaced by the tests, so that they move time on instead of waiting for it.
    sleep = staticmethod(asyncio.sleep)

    # --- Socket handlers ---

    async def connect(self):
        self.token = await off_loop(access_tokens.authenticate)(
            access_tokens.bearer_token(self.scope["headers"]), needs="forward"
        )
        if self.token is None:
            return await self.close(code=NOT_AUTHENTICATED)
        await self.accept()
        if _open_streams[self.token.pk] >= MAX_STREAMS_PER_TOKEN:
            # Accepted first: a refused handshake cannot say why (daphne answers 403).
            await self.send_json({"type": "error", "error": "too many open streams for this token"})
            return await self.close(code=TOO_MANY_STREAMS)
        _open_streams[self.token.pk] += 1
        self.checking = asyncio.get_running_loop().create_task(self._check_periodically())

    async def disconnect(self, code):
        if self.checking is not None:
            self.checking.cancel()
            _open_streams[self.token.pk] -= 1
            if not _open_streams[self.token.pk]:
                del _open_streams[self.token.pk]
        await self.stream_leave()

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if kind == "subscribe" and self.subscription is None:
                return await self._subscribe(content)
            if kind == "delivery":
                return await self._send_delivery(content.get("id"))
        except forwarding.CursorError as exc:
            await self.send_json({"type": "error", "error": str(exc)})
            return await self.close(code=BAD_REQUEST)
        await self.send_json({"type": "error", "error": "unknown_type"})

    # --- Commands ---

    async def _subscribe(self, content: dict) -> None:
        subscription = await off_loop(forwarding.subscription_from)(content, account_id=self.token.account_id)
        await self.send_json({"type": "subscribed", "origin": subscription.origin})
        await self.stream_subscribe(subscription)

    async def _send_delivery(self, delivery_id) -> None:
        if isinstance(delivery_id, bool) or not isinstance(delivery_id, int) or not 0 < delivery_id < 2**63:
            return await self.send_json({"type": "error", "error": "id must be a delivery number"})
        found = await off_loop(forwarding.delivery_for)(
            account_id=self.token.account_id, delivery_id=delivery_id
        )
        if found is None:
            return await self.send_json({"type": "error", "error": "no such accepted delivery"})
        await self.send_json({**found, "type": "delivery"})

    # --- Periodic checks ---

    async def _check_periodically(self) -> None:
        while True:
            await self.sleep(settings.FORWARD_CHECK_SECONDS)
            if not await off_loop(access_tokens.is_active)(self.token.pk):
                logger.info("access token %s revoked: closing its stream", self.token.pk)
                await self.send_json({"type": "error", "error": "token revoked"})
                return await self.close(code=TOKEN_REVOKED)
            if self.subscription is not None:
                try:
                    await self.stream_discover()
                except Exception:  # noqa: BLE001 - the database may be away; try again next period
                    logger.exception("looking for conversations to forward failed")
