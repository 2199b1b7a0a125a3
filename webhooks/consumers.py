"""Live webhook events over WebSockets: one conversation's, and an account's deliveries.

The conversation's socket is the shared event stream of webhooks/streaming.py
(each event once and in order, nothing missed unnoticed) plus a "sync" command.
"""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.offloop import off_loop
from webhooks import selectors
from webhooks.models import account_group_name
from webhooks.streaming import ConversationEventStream

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


class AccountDeliveriesConsumer(AsyncJsonWebsocketConsumer):
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
