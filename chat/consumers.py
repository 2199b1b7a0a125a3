"""ws/chat/<pk>/?after=<seq>: the demo chat's socket, for the consumer's side.

Server to browser: {"type": "conversation"} on connect and whenever state, stage
or dialog change; {"type": "events"} with the conversation's webhook events, the
shared stream of webhooks/streaming.py (each once and in seq order, catch-up
after `?after=`; each ExConversation change carries "notes", sentences for what
the agent's side did: webhooks/changes.py); {"type": "requests"} console entries
(all on connect, then live); {"type": "history"} on connect when the stored events do not cover the
conversation (its app's webhooks do not point here); {"type": "sent"} and
{"type": "error"} answering the browser's actions.

Browser to server: {"action": "send_text" | "chat_state" | "receipt" |
"quick_reply" | "survey_answer" | "close" | "close_survey" | "mark_urgent" |
"consumer_info" ("values": the SDE fields of chat.sdes) | "sync", ...}.
Messages and commands of one socket run one after another, in order, off the event
loop; receipts and chat states run in lanes of their own (chat.lanes), so that a slow
LivePerson never holds a message back behind them; the socket keeps receiving events
meanwhile.

Deviations from (additions to) the chat contract:
- While a new app's webhooks may not be active yet (chat.activation), the socket
  sends {"type": "webhooks_pending", "until"}, then "history" frames with
  "live": true (records not sent before) every CHAT_HISTORY_POLL_SECONDS, and
  {"type": "webhooks_active"} once the first webhook arrived or the window ended.
- Otherwise "history" is sent only on a fresh connect (no `?after=`), and only when the
  app's webhooks do not all go to a /notifications/event endpoint; each record
  also has "dialog_id", and "seq" is LivePerson's sequence (with the dialog, the
  same pair as an event's payload.dialogId and payload.sequence, so the page can
  skip duplicates); records meant for agents and managers only are left out.
- "sent" and "error" carry the browser's ref; "close"/"close_survey" answer
  nothing on success (the "conversation" frame follows from the webhook).
- A message whose SEND timed out gets {"type": "unconfirmed", "ref"} at once, then
  "sent" (with "reconciled": true) when it is found to have arrived (its webhook echo or
  the messaging history: chat.reconcile), or, after CHAT_SEND_RECONCILE_SECONDS, an
  "error" with "retry": true and "since" (when it was first sent). A retry sends the
  message again with that "since"; it is sent only if it has still not arrived.
- "sent".sequence may be null if LivePerson's answer carried none; "sent".dialog_id
  is the dialog it went to: sequences are numbered per dialog, so the page keys
  messages by (dialog, sequence), and a "receipt" names its "dialog".
"""

import asyncio
import itertools
import logging
import time

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.lp_session import SESSION_KEY
from chat import actions, activation, exceptions, forms, history, reconcile, selectors, starting, state
from chat.lanes import Lane
from chat.models import ChatConversation
from core.offloop import off_loop
from webhooks import changes
from webhooks.streaming import ConversationEventStream, after_seq

logger = logging.getLogger(__name__)

NOT_ALLOWED = 4403
NOT_FOUND = 4404
ACTIONS = {
    "send_text",
    "chat_state",
    "receipt",
    "quick_reply",
    "survey_answer",
    "close",
    "close_survey",
    "mark_urgent",
    "consumer_info",
}
MESSAGE_ACTIONS = {"send_text", "quick_reply", "survey_answer"}
# How many receipts may wait behind a slow one (older ones are dropped first).
RECEIPTS_WAITING = 50
# A retry names when its message was first sent; older than this, it is a new message.
RETRY_WINDOW_MS = 60 * 60 * 1000
NOT_ARRIVED = "LivePerson did not answer, and the message has not arrived."
# Checking a message after a timeout: the stored events at every poll, the history at every
# HISTORY_EVERY_POLLS-th and the last.
HISTORY_EVERY_POLLS = 5


class ChatConsumer(ConversationEventStream, AsyncJsonWebsocketConsumer):
    """One browser tab on one demo chat conversation: its webhook events (the
    shared stream), the browser's actions, the requests console and the
    conversation frame."""

    chat = None
    actions_task = None
    receipts = None
    chat_states = None
    activation_task = None

    # --- Socket handlers ---

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous:
            return await self.close(code=NOT_ALLOWED)
        pk = self.scope["url_route"]["kwargs"]["pk"]
        chat = await off_loop(selectors.conversation_for)(pk=pk, user=user)
        if chat is None:
            return await self.close(code=NOT_FOUND)
        self.chat = chat
        self.last_request_id = 0
        self.shown = None
        self.actions = asyncio.Queue()
        # Receipts and chat states never hold a message back (chat.lanes).
        self.receipts = Lane(self._carry_out_quietly, keep=RECEIPTS_WAITING)
        self.chat_states = Lane(self._carry_out_quietly, keep=1)
        # (dialog, sequence) of this socket's messages, and its messages being checked
        # after a timeout (chat.reconcile).
        self.claimed: set[tuple[str, int]] = set()
        self.reconciling: set[asyncio.Task] = set()
        await self.channel_layer.group_add(chat.group_name, self.channel_name)
        events_conversation = await off_loop(starting.events_conversation)(chat)
        # What the agent's side did is the difference between changes: start from
        # those the browser already has (docs/LIVEPERSON.md, 'Agent-side changes').
        self.change_notes = await off_loop(changes.notes_until)(
            conversation_id=events_conversation.pk, seq=after_seq(self.scope)
        )
        await self.stream_join(events_conversation)
        await self.accept()
        await self.show_conversation(sync=True)
        await self.stream_start()
        if after_seq(self.scope) == 0:  # a fresh page, not a reconnect
            await self.send_history()
        await self.watch_activation()
        self.actions_task = asyncio.get_running_loop().create_task(self._run_actions())

    async def disconnect(self, code):
        if self.actions_task is not None:
            self.actions_task.cancel()
        for lane in (self.receipts, self.chat_states):
            if lane is not None:
                lane.stop()
        for task in getattr(self, "reconciling", ()):
            task.cancel()
        if self.activation_task is not None:
            self.activation_task.cancel()
        await self.stream_leave()
        if self.chat is not None:
            await self.channel_layer.group_discard(self.chat.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        action = content.get("action") if isinstance(content, dict) else None
        if action == "sync":
            return await self.catch_up()
        if action not in ACTIONS:
            return await self.send_json({"type": "error", "ref": None, "message": "Unknown action."})
        if action == "chat_state":
            return self.chat_states.offer(content)
        if action == "receipt":
            return self.receipts.offer(content)
        await self.actions.put(content)

    async def send_history(self):
        """LivePerson's history of the conversation, when our stored events miss some."""
        try:
            records = await off_loop(_history)(self.chat, self.scope["session"])
        except exceptions.ChatError as exc:
            return await self.send_json({"type": "error", "ref": None, "message": exc.message})
        if records is not None:
            await self.send_json({"type": "history", "records": records})

    # --- A new app's webhooks not active yet (chat.activation) ---

    async def watch_activation(self):
        """While the app's webhooks may not be active yet, say so and fill the messages in
        from the messaging history, until the first webhook arrives or the window ends."""
        ends = await off_loop(activation.activation_pending)(self.chat)
        if ends is None:
            return
        await self.send_json({"type": "webhooks_pending", "until": ends.isoformat()})
        self.activation_task = asyncio.get_running_loop().create_task(self._fill_from_history())

    async def _fill_from_history(self):
        shown: set = set()
        told = False
        while True:
            # Asked before reading the history: once webhooks work, one more read covers
            # everything from before the first of them.
            pending = await off_loop(activation.activation_pending)(self.chat)
            try:
                records = await off_loop(_history_records)(self.chat, self.scope["session"])
            except exceptions.ChatError as exc:
                if not told:  # once: the next rounds try again quietly
                    await self.send_json({"type": "error", "ref": None, "message": exc.message})
                told = True
            else:
                new = [r for r in records if (r["dialog_id"], r["seq"]) not in shown]
                shown.update((r["dialog_id"], r["seq"]) for r in new)
                if new:
                    await self.send_json({"type": "history", "records": new, "live": True})
            if pending is None:
                return await self.send_json({"type": "webhooks_active"})
            await asyncio.sleep(settings.CHAT_HISTORY_POLL_SECONDS)

    # --- Actions (in order, off the event loop) ---

    async def _run_actions(self):
        while True:
            content = await self.actions.get()
            if content["action"] in MESSAGE_ACTIONS:
                await self._send_message(content)
                continue
            ref = content.get("ref")
            try:
                await off_loop(_act)(self.chat.pk, content)
            except exceptions.ChatError as exc:
                await self.send_json({"type": "error", "ref": ref, "message": exc.message})
            except Exception:  # noqa: BLE001 - the socket must survive a bug in one action
                logger.exception("chat action %s failed", content.get("action"))
                await self.send_json({"type": "error", "ref": ref, "message": "Something went wrong."})

    async def _carry_out_quietly(self, content: dict):
        """A receipt or chat state: a failure is logged, not shown (nothing to retry)."""
        try:
            await off_loop(_act)(self.chat.pk, content)
        except exceptions.ChatError as exc:
            logger.info("chat %s: %s not sent: %s", self.chat.pk, content["action"], exc.message)
        except Exception:  # noqa: BLE001 - the socket must survive a bug in one action
            logger.exception("chat action %s failed", content["action"])

    # --- Messages: sent once, checked after a timeout (chat.reconcile) ---

    async def _send_message(self, content: dict):
        ref = content.get("ref")
        outgoing = reconcile.Outgoing(text=_text(content).strip(), since_ms=_since_ms(content))
        if "since" in content:  # a retry: it may have arrived after all
            found = await self._find_sent(outgoing, with_history=True)
            if found is not None:
                return await self._confirm(ref, found)
        try:
            sequence, dialog_id = await off_loop(_act)(self.chat.pk, content)
        except exceptions.ChatUnconfirmedError as exc:
            await self.send_json({"type": "unconfirmed", "ref": ref, "message": exc.message})
            task = asyncio.get_running_loop().create_task(self._reconcile(ref, outgoing))
            self.reconciling.add(task)
            task.add_done_callback(self.reconciling.discard)
            return
        except exceptions.ChatError as exc:
            return await self.send_json({"type": "error", "ref": ref, "message": exc.message})
        except Exception:  # noqa: BLE001 - the socket must survive a bug in one action
            logger.exception("chat action %s failed", content.get("action"))
            return await self.send_json({"type": "error", "ref": ref, "message": "Something went wrong."})
        if isinstance(sequence, int):
            self.claimed.add((dialog_id, sequence))
        await self.send_json({"type": "sent", "ref": ref, "sequence": sequence, "dialog_id": dialog_id})

    async def _reconcile(self, ref, outgoing: reconcile.Outgoing):
        """Look for the message until CHAT_SEND_RECONCILE_SECONDS have passed; only then
        is the consumer told it was not sent (and may retry, with `since`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.CHAT_SEND_RECONCILE_SECONDS
        for polls in itertools.count(1):
            last = loop.time() >= deadline
            # The history now and then too: while a new app's webhooks are not active, it
            # is the only record (chat.activation).
            found = await self._find_sent(outgoing, with_history=last or polls % HISTORY_EVERY_POLLS == 0)
            if found is not None:
                return await self._confirm(ref, found)
            if last:
                failed = {"type": "error", "ref": ref, "message": NOT_ARRIVED, "retry": True}
                return await self.send_json({**failed, "since": outgoing.since_ms})
            await asyncio.sleep(min(settings.CHAT_RECONCILE_POLL_SECONDS, max(0.0, deadline - loop.time())))

    async def _find_sent(self, outgoing: reconcile.Outgoing, *, with_history: bool):
        claimed = set(self.claimed)
        found = await off_loop(reconcile.echo_in_events)(self.chat, outgoing, claimed)
        bearer = (self.scope["session"].get(SESSION_KEY) or {}).get("bearer") if with_history else None
        if found is None and bearer:
            found = await off_loop(reconcile.echo_in_history)(self.chat, outgoing, claimed, bearer=bearer)
        return found

    async def _confirm(self, ref, found: tuple[str, int]):
        self.claimed.add(found)
        dialog_id, sequence = found
        sent = {"type": "sent", "ref": ref, "sequence": sequence, "dialog_id": dialog_id, "reconciled": True}
        await self.send_json(sent)

    # --- Group handlers (conversation_events is the stream's) ---

    async def chat_requests(self, event):
        async with self.send_lock:
            await self._catch_up_requests()

    # --- Event stream hooks (holding send_lock) ---

    def events_shown(self, events: list[dict]) -> list[dict]:
        """ExConversation changes carry `notes`: assignment, transfer, queue, TTR, close."""
        return changes.annotated(self.change_notes, events)

    async def events_sent(self, events: list[dict]):
        """Follow a state, stage or dialog change on the conversation frame."""
        if any(e["notification_type"] == state.CONVERSATION_CHANGE for e in events):
            await off_loop(state.conversation_apply_changes)(conversation=self.chat, events=events)
            await self.show_conversation()

    async def caught_up(self):
        # A catch-up (reconnect, "sync", a gap, the periodic check) also brings
        # the console up to date: its live messages may have been lost as well.
        await self._catch_up_requests()

    # --- Requests console and conversation frame ---

    async def _catch_up_requests(self):
        while True:
            rows = await off_loop(selectors.requests_after)(
                conversation=self.chat, after_id=self.last_request_id
            )
            if not rows:
                return
            self.last_request_id = rows[-1]["id"]
            await self.send_json({"type": "requests", "requests": rows})

    async def show_conversation(self, *, sync: bool = False):
        """Send the conversation frame when it differs from what this socket showed."""
        shown = await off_loop(_conversation_now)(self.chat, sync=sync)
        if shown != self.shown:
            self.shown = shown
            await self.send_json({"type": "conversation", "conversation": shown})


def _conversation_now(chat: ChatConversation, *, sync: bool) -> dict:
    if sync:
        state.conversation_sync_state(conversation=chat)
    else:
        chat.refresh_from_db()
    return selectors.conversation_message(chat)


def _history(chat: ChatConversation, session) -> list[dict] | None:
    """The history records, or None when our stored events cover the conversation."""
    if not history.history_needed(chat):
        return None
    return _history_records(chat, session)


def _history_records(chat: ChatConversation, session) -> list[dict]:
    lp = session.get(SESSION_KEY) or {}
    if not lp.get("bearer"):
        raise exceptions.ChatError("Log in again to see this conversation's history.")
    return history.conversation_history(conversation=chat, bearer=lp["bearer"])


def _act(pk: int, content: dict) -> tuple[int | None, str]:
    """Carry out one browser action on a freshly read conversation (another socket
    or a webhook may have changed its dialog): the sequence LivePerson gave, and the
    dialog the action went to (sequences are per dialog)."""
    chat = ChatConversation.objects.select_related("installation").get(pk=pk)
    return _carry_out(chat, content), chat.dialog_id


def _carry_out(chat: ChatConversation, content: dict) -> int | None:
    action = content["action"]
    if action == "send_text":
        return actions.conversation_send_text(conversation=chat, text=_text(content))
    if action == "quick_reply":
        dialog = content.get("dialog")
        return actions.conversation_click(
            conversation=chat,
            text=_text(content),
            metadata=content.get("metadata"),
            sequence=content.get("sequence"),
            dialog_id=dialog if isinstance(dialog, str) else None,
        )
    if action == "survey_answer":
        return actions.survey_answer(
            conversation=chat,
            sequence=content.get("sequence"),
            text=_text(content),
            metadata=content.get("metadata"),
        )
    if action == "chat_state":
        return actions.conversation_chat_state(conversation=chat, state=str(content.get("state")))
    if action == "receipt":
        sequences = content.get("sequences") if isinstance(content.get("sequences"), list) else []
        dialog = content.get("dialog")
        return actions.conversation_receipt(
            conversation=chat,
            status=str(content.get("status")),
            sequences=sequences,
            dialog_id=dialog if isinstance(dialog, str) else None,
        )
    if action == "close":
        return actions.conversation_close(conversation=chat)
    if action == "mark_urgent":
        return actions.conversation_mark_urgent(conversation=chat)
    if action == "consumer_info":
        values = forms.consumer_info(content.get("values"))
        return actions.conversation_set_consumer_info(conversation=chat, values=values)
    return actions.conversation_close_for_survey(conversation=chat)


def _since_ms(content: dict) -> int:
    """When the message was first sent: a retry's `since` (as the "error" frame gave it,
    bounded to the last hour), else now."""
    now = int(time.time() * 1000)
    since = content.get("since")
    if isinstance(since, int) and not isinstance(since, bool) and now - RETRY_WINDOW_MS <= since <= now:
        return since
    return now


def _text(content: dict) -> str:
    text = content.get("text")
    return text if isinstance(text, str) else ""
