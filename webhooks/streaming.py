"""One conversation's webhook events over a WebSocket, with nothing missed unnoticed.

The channel layer may drop messages (a full channel, Redis down) and deliver
two processes' broadcasts out of order. Events are numbered 1, 2, 3... per
conversation, so a subscriber sends each event to the browser exactly once and
in order (webhooks/ordering.py): a gap the layer does not fill within a moment,
a reconnect (`?after=<seq>`), or the process's periodic check
(webhooks/resync.py) fetches the missing events from the database.

Every socket that shows a conversation's events streams them through
`ConversationEventStream`: /ws/conversations/<pk>/events/ (webhooks.consumers)
and the demo chat's /ws/chat/<pk>/ (chat.consumers), which adds its own frames.
"""

import asyncio
from urllib.parse import parse_qs

from core.offloop import off_loop
from webhooks import resync, selectors
from webhooks.models import Conversation
from webhooks.ordering import EventOrder


class ConversationEventStream:
    """Mixin for an AsyncJsonWebsocketConsumer that streams one Conversation's events.

    The consumer calls `stream_join` before accepting the socket, `stream_start`
    once it has accepted it (and sent whatever must come before the events) and
    `stream_leave` when it disconnects. `events_sent` and `caught_up` are hooks
    for frames of its own; they run holding `send_lock`, as must anything else
    the consumer sends that may not come between two events.
    """

    events_conversation: Conversation | None = None
    order: EventOrder | None = None

    @property
    def last_seq(self) -> int:
        """The seq of the last event sent to the browser (the periodic check reads it)."""
        return self.order.last_seq if self.order is not None else 0

    async def stream_join(self, conversation: Conversation) -> None:
        self.events_conversation = conversation
        self.order = EventOrder(after_seq(self.scope), fill_gap=self.catch_up)
        self.send_lock = asyncio.Lock()
        await self.channel_layer.group_add(conversation.group_name, self.channel_name)

    async def stream_start(self) -> None:
        """Send what the database has after `?after=`, then leave the rest to the live stream."""
        await self.catch_up()
        # One check per process and period for all subscribers (webhooks/resync.py).
        resync.watch().add(self.events_conversation.pk, self)

    async def stream_leave(self) -> None:
        if self.events_conversation is None:
            return
        self.order.close()
        resync.watch().discard(self.events_conversation.pk, self)
        await self.channel_layer.group_discard(self.events_conversation.group_name, self.channel_name)

    # --- Group handlers ---

    async def conversation_events(self, event):
        # One sender at a time: a gap fill or the periodic check may be catching up right now.
        async with self.send_lock:
            await self._send_events(self.order.live(event["events"]))

    # --- Catch-up ---

    async def catch_up(self) -> None:
        """Send every event the database has after `last_seq` (also the gap filler and
        what the periodic check calls)."""
        async with self.send_lock:
            await self._catch_up_events()
            await self.caught_up()

    async def _catch_up_events(self) -> None:
        while True:
            events = await off_loop(selectors.events_after)(
                conversation=self.events_conversation, seq=self.last_seq
            )
            if not events:
                return await self._send_events(self.order.caught_up())
            await self._send_events(self.order.from_database(events))

    async def _send_events(self, events: list[dict]) -> None:
        if events:
            await self.send_json({"type": "events", "events": events})
            await self.events_sent(events)

    # --- Hooks ---

    async def events_sent(self, events: list[dict]) -> None:
        """After each "events" frame."""

    async def caught_up(self) -> None:
        """After each catch-up from the database."""


def after_seq(scope) -> int:
    """The `?after=<seq>` of the socket's URL: the last event the browser already has."""
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    return int(values[0]) if values[0].isdigit() else 0
