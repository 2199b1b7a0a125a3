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
import dataclasses
import logging
from collections import deque
from urllib.parse import parse_qs

from django.conf import settings
from django.utils import timezone

from core import fastjson
from core.offloop import OffLoopConsumer, off_loop
from webhooks import forwarding, group_send, resync, selectors
from webhooks.models import Conversation, account_group_name
from webhooks.ordering import EventOrder

logger = logging.getLogger(__name__)


class ConversationEventStream(OffLoopConsumer):
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

    @classmethod
    async def encode_json(cls, content):
        return fastjson.dumps(content)  # every "events" frame: the standard library's cost per socket

    # --- Group handlers ---

    async def conversation_events(self, event):
        if group_send.from_this_process(event):
            return  # had directly already (webhooks/group_send.py)
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
            events = self.events_shown(events)
            await self.send_json({"type": "events", "events": events})
            await self.events_sent(events)

    # --- Hooks ---

    def events_shown(self, events: list[dict]) -> list[dict]:
        """The events as the browser gets them, in seq order, each once (e.g. with notes)."""
        return events

    async def events_sent(self, events: list[dict]) -> None:
        """After each "events" frame."""

    async def caught_up(self) -> None:
        """After each catch-up from the database."""


def after_seq(scope) -> int:
    """The `?after=<seq>` of the socket's URL: the last event the browser already has."""
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    return int(values[0]) if values[0].isdigit() else 0


class AccountEventStream(OffLoopConsumer):
    """Mixin for an AsyncJsonWebsocketConsumer that streams an account's
    notifications (the forwarder's socket: webhooks.forwarding), each once and in
    order per conversation.

    It is the same mechanism as `ConversationEventStream`, once per conversation:
    every conversation it follows has its own EventOrder, its group's live
    events, catch-up from the database and the process's periodic check. A
    notification whose changes span several followed conversations is sent
    once, when every one of them has reached it, so that each conversation's
    order holds. The consumer calls `stream_subscribe` once it has accepted the
    socket and `stream_leave` when it disconnects; `stream_discover` now and
    then finds conversations whose live announcement it may have missed.
    """

    subscription: forwarding.Subscription | None = None

    @classmethod
    async def encode_json(cls, content):
        return fastjson.dumps(content)

    async def stream_subscribe(self, subscription: forwarding.Subscription) -> None:
        self.subscription = subscription
        self.followers: dict[int, _Follower] = {}
        self.notifications: dict[int, dict] = {}
        self.send_lock = asyncio.Lock()
        self.inbox: list[dict] = []
        self.draining: asyncio.Task | None = None
        self.discovered_at = timezone.now()
        self.account_group = account_group_name(subscription.account_id)
        await self.channel_layer.group_add(self.account_group, self.channel_name)
        starts = await off_loop(forwarding.conversations_to_follow)(subscription)
        async with self.send_lock:
            await self._follow(starts)
            await self.send_json({"type": "live"})

    async def stream_leave(self) -> None:
        if self.subscription is None:
            return
        if self.draining is not None:
            self.draining.cancel()
        for follower in self.followers.values():
            follower.order.close()
            resync.watch().discard(follower.pk, follower)
            await self.channel_layer.group_discard(Conversation.group_name_of(follower.pk), self.channel_name)
        await self.channel_layer.group_discard(self.account_group, self.channel_name)

    async def stream_discover(self) -> None:
        """Follow the conversations with recent events that this socket does not follow."""
        since, self.discovered_at = self.discovered_at, timezone.now()
        if self.subscription.conversation_id:
            return await self._follow_new([])  # it may have had its first event just now
        active = await off_loop(forwarding.newest_activity)(self.subscription.account_id, since=since)
        await self._follow_new(active)

    # --- Group handlers ---

    async def conversation_events(self, event):
        if group_send.from_this_process(event):
            return  # had directly already (webhooks/group_send.py)
        # Channels hands a consumer its messages one at a time, and each live
        # notification is a database read (its body): read one by one, the stream
        # fell behind at a few hundred per second (docs/PERFORMANCE.md, "Forwarding
        # to a laptop"). So the handler only queues the events; one task drains
        # the queue, and what arrives while it reads is released together, with
        # one read for all of it.
        self.inbox.extend(event["events"])
        if self.draining is None or self.draining.done():
            self.draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            async with self.send_lock:
                while self.inbox:
                    arrived, self.inbox = self.inbox, []
                    released = []
                    for pk, events in _by_conversation(arrived).items():
                        follower = self.followers.get(pk)
                        if follower is not None:
                            released += follower.order.live(events)
                    await self._released(released)
        except Exception:  # noqa: BLE001 - the database may be away
            # The events are marked released: closing makes the client reconnect and
            # catch up from its cursor, as a failing handler did before the queue.
            logger.exception("sending live notifications failed: closing the stream")
            await self.close(code=1011)

    async def account_deliveries(self, event):
        pks = [c["id"] for d in event["deliveries"] for c in d.get("conversations", ())]
        await self._follow_new([pk for pk in pks if pk not in self.followers])

    # --- Following conversations (holding send_lock) ---

    async def _follow_new(self, pks: list[int]) -> None:
        if self.subscription.conversation_id:
            pks = await self._the_one_conversation()
        pks = [pk for pk in dict.fromkeys(pks) if pk not in self.followers]
        if not pks:
            return
        starts = await off_loop(forwarding.starting_seqs)(self.subscription, pks)
        async with self.send_lock:
            await self._follow(starts)

    async def _the_one_conversation(self) -> list[int]:
        """The followed conversation's pk (looked up until it exists here), or none."""
        subscription = self.subscription
        if subscription.conversation_pk is None:
            pk = await off_loop(forwarding.conversation_pk_of)(
                subscription.account_id, subscription.conversation_id
            )
            if pk is None:
                return []
            self.subscription = dataclasses.replace(subscription, conversation_pk=pk)
        return [self.subscription.conversation_pk]

    async def _follow(self, starts: dict[int, int]) -> None:
        fresh = []
        for pk, seq in starts.items():
            if pk in self.followers or len(self.followers) >= settings.FORWARD_MAX_CONVERSATIONS:
                continue
            follower = _Follower(self, pk, seq)
            self.followers[pk] = follower
            await self.channel_layer.group_add(Conversation.group_name_of(pk), self.channel_name)
            fresh.append(follower)
        for follower in fresh:
            await self._catch_up_locked(follower)
            resync.watch().add(follower.pk, follower)

    async def _catch_up_locked(self, follower: "_Follower") -> None:
        while True:
            events = await off_loop(forwarding.positions_after)(
                conversation_pk=follower.pk, seq=follower.last_seq
            )
            if not events:
                return await self._released(follower.order.caught_up())
            await self._released(follower.order.from_database(events))

    # --- Sending, once every conversation of a notification has reached it ---

    async def _released(self, events: list[dict]) -> None:
        touched = {}
        for event in events:
            follower = self.followers[event["conversation"]]
            # A notification's events may be released in two parts (a catch-up's
            # batch ends between them): once it is sent, the rest of it is too.
            if event["seq"] <= follower.sent_seq:
                continue
            if not follower.pending or follower.pending[-1] != event["delivery"]:
                follower.pending.append(event["delivery"])
            touched[follower.pk] = follower
        if touched:
            await self._load([d for f in touched.values() for d in f.pending if d not in self.notifications])
            await self._send_ready(list(touched.values()))

    async def _load(self, delivery_ids: list[int]) -> None:
        if not delivery_ids:
            return
        found = await off_loop(forwarding.notifications)(
            account_id=self.subscription.account_id, delivery_ids=list(set(delivery_ids))
        )
        self.notifications.update(found)
        spanned = {int(pk) for message in found.values() for pk in message["positions"]}
        if not self.subscription.conversation_id and spanned - set(self.followers):
            starts = await off_loop(forwarding.starting_seqs)(
                self.subscription, sorted(spanned - set(self.followers))
            )
            await self._follow(starts)

    async def _send_ready(self, todo: list["_Follower"]) -> None:
        """Send what heads the given conversations, and what that lets through in others."""
        while todo:
            follower = todo.pop()
            while follower.pending:
                spans = await self._send_head(follower)
                if spans is None:
                    break
                todo.extend(other for other in spans if other is not follower)

    async def _send_head(self, follower: "_Follower") -> list["_Follower"] | None:
        """Send the follower's next notification if it heads every followed conversation
        it spans: those conversations, or None when it must wait."""
        delivery_id = follower.pending[0]
        message = self.notifications.get(delivery_id)
        positions = message["positions"] if message is not None else {}
        spans = [self.followers[int(pk)] for pk in positions if int(pk) in self.followers] or [follower]
        if not all(other.pending and other.pending[0] == delivery_id for other in spans):
            return None
        for other in spans:
            other.pending.popleft()
            other.sent_seq = max(other.sent_seq, positions.get(str(other.pk), 0))
        self.notifications.pop(delivery_id, None)
        if message is not None and self.subscription.client_id in ("", message["client_id"]):
            await self.send_json(message)
        return spans


class _Follower:
    """One conversation of an AccountEventStream: its order, what it released and
    not yet sent, and the catch-up the periodic check (webhooks/resync.py) calls."""

    def __init__(self, stream: AccountEventStream, pk: int, seq: int):
        self.stream, self.pk = stream, pk
        self.order = EventOrder(seq, fill_gap=self.catch_up)
        self.pending: deque[int] = deque()
        self.sent_seq = seq  # the last seq of the notifications sent

    @property
    def last_seq(self) -> int:
        return self.order.last_seq

    async def catch_up(self) -> None:
        async with self.stream.send_lock:
            await self.stream._catch_up_locked(self)


def _by_conversation(events: list[dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for event in events:
        if event.get("conversation") is not None:
            grouped.setdefault(event["conversation"], []).append(event)
    return grouped
