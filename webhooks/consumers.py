"""Live webhook events over WebSockets, with nothing missed unnoticed.

The channel layer may drop messages (a full channel, Redis down) and deliver
two processes' broadcasts out of order. Events are numbered 1, 2, 3... per
conversation, so a subscriber here sends each event to the browser exactly
once and in order (webhooks/ordering.py): a gap the layer does not fill within
a moment, a reconnect (`?after=<seq>`), or the periodic check fetches the
missing events from the database.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from webhooks import ingest, resync, selectors
from webhooks.ordering import EventOrder

logger = logging.getLogger(__name__)

NOT_ALLOWED = 4403
NOT_FOUND = 4404


class ConversationEventsConsumer(AsyncJsonWebsocketConsumer):
    """/ws/conversations/<pk>/events/?after=<seq>: one conversation's events."""

    conversation = None
    order = None

    @property
    def last_seq(self) -> int:
        """The seq of the last event sent to the browser (the periodic check reads it)."""
        return self.order.last_seq if self.order is not None else 0

    # --- Socket handlers ---

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous:
            return await self.close(code=NOT_ALLOWED)
        pk = self.scope["url_route"]["kwargs"]["pk"]
        self.conversation = await database_sync_to_async(selectors.conversation_for)(
            pk=pk, account_id=user.lp_account_id
        )
        if self.conversation is None:
            return await self.close(code=NOT_FOUND)
        self.order = EventOrder(after_seq(self.scope), fill_gap=self.catch_up)
        self.send_lock = asyncio.Lock()
        await self.channel_layer.group_add(self.conversation.group_name, self.channel_name)
        await self.accept()
        await self.catch_up()
        # One check per process and period for all subscribers (webhooks/resync.py).
        resync.watch().add(self.conversation.pk, self)

    async def disconnect(self, code):
        if self.order is not None:
            self.order.close()
        if self.conversation is not None:
            resync.watch().discard(self.conversation.pk, self)
            await self.channel_layer.group_discard(self.conversation.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "sync":
            await self.catch_up()
        else:
            await self.send_json({"type": "error", "error": "unknown_type"})

    # --- Group handlers ---

    async def conversation_events(self, event):
        # One sender at a time: the periodic check may be catching up right now.
        async with self.send_lock:
            await self._send(self.order.live(event["events"]))

    # --- Catch-up ---

    async def catch_up(self):
        async with self.send_lock:
            await self._catch_up()

    async def _catch_up(self):
        while True:
            events = await database_sync_to_async(selectors.events_after)(
                conversation=self.conversation, seq=self.last_seq
            )
            if not events:
                return await self._send(self.order.caught_up())
            await self._send(self.order.from_database(events))

    async def _send(self, events: list[dict]):
        if events:
            await self.send_json({"type": "events", "events": events})


class AccountDeliveriesConsumer(AsyncJsonWebsocketConsumer):
    """/ws/events/: the account's accepted deliveries as they arrive."""

    group = None

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous or not user.lp_account_id:
            return await self.close(code=NOT_ALLOWED)
        self.account_id = user.lp_account_id
        self.group = ingest.account_group_name(self.account_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") != "sync":
            return await self.send_json({"type": "error", "error": "unknown_type"})
        after_id = content.get("after_id") if isinstance(content.get("after_id"), int) else 0
        deliveries = await database_sync_to_async(selectors.deliveries_after)(
            account_id=self.account_id, after_id=after_id
        )
        await self.send_json({"type": "deliveries", "deliveries": deliveries})

    async def account_deliveries(self, event):
        await self.send_json({"type": "deliveries", "deliveries": event["deliveries"]})


def after_seq(scope) -> int:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    return int(values[0]) if values[0].isdigit() else 0
