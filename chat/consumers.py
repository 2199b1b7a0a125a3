"""ws/chat/<pk>/?after=<seq>: the demo chat's socket, for the consumer's side.

Server to browser: {"type": "conversation"} on connect and whenever state, stage
or dialog change; {"type": "events"} with the conversation's webhook events, the
shared stream of webhooks/streaming.py (each once and in seq order, catch-up
after `?after=`); {"type": "requests"} console entries (all on connect, then live);
{"type": "history"} on connect when the stored events do not cover the
conversation (its app's webhooks do not point here); {"type": "sent"} and
{"type": "error"} answering the browser's actions.

Browser to server: {"action": "send_text" | "chat_state" | "receipt" |
"quick_reply" | "survey_answer" | "close" | "close_survey" | "sync", ...}.
Actions of one socket run one after another, in order, off the event loop; the
socket keeps receiving events meanwhile.

Deviations from (additions to) the chat contract:
- "history" is sent only on a fresh connect (no `?after=`), and only when the
  app's webhooks do not all go to a /notifications/event endpoint; each record
  also has "dialog_id", and "seq" is LivePerson's sequence (with the dialog, the
  same pair as an event's payload.dialogId and payload.sequence, so the page can
  skip duplicates); records meant for agents and managers only are left out.
- "sent" and "error" carry the browser's ref; "close"/"close_survey" answer
  nothing on success (the "conversation" frame follows from the webhook).
- "sent".sequence may be null if LivePerson's answer carried none; "sent".dialog_id
  is the dialog it went to: sequences are numbered per dialog, so the page keys
  messages by (dialog, sequence), and a "receipt" names its "dialog".
"""

import asyncio
import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.lp_session import SESSION_KEY
from chat import actions, exceptions, history, selectors, starting, state
from chat.models import ChatConversation
from core.offloop import off_loop
from webhooks.streaming import ConversationEventStream, after_seq

logger = logging.getLogger(__name__)

NOT_ALLOWED = 4403
NOT_FOUND = 4404
ACTIONS = {"send_text", "chat_state", "receipt", "quick_reply", "survey_answer", "close", "close_survey"}


class ChatConsumer(ConversationEventStream, AsyncJsonWebsocketConsumer):
    """One browser tab on one demo chat conversation: its webhook events (the
    shared stream), the browser's actions, the requests console and the
    conversation frame."""

    chat = None
    actions_task = None

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
        await self.channel_layer.group_add(chat.group_name, self.channel_name)
        await self.stream_join(await off_loop(starting.events_conversation)(chat))
        await self.accept()
        await self.show_conversation(sync=True)
        await self.stream_start()
        if after_seq(self.scope) == 0:  # a fresh page, not a reconnect
            await self.send_history()
        self.actions_task = asyncio.get_running_loop().create_task(self._run_actions())

    async def disconnect(self, code):
        if self.actions_task is not None:
            self.actions_task.cancel()
        await self.stream_leave()
        if self.chat is not None:
            await self.channel_layer.group_discard(self.chat.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        action = content.get("action") if isinstance(content, dict) else None
        if action == "sync":
            return await self.catch_up()
        if action not in ACTIONS:
            return await self.send_json({"type": "error", "ref": None, "message": "Unknown action."})
        await self.actions.put(content)

    async def send_history(self):
        """LivePerson's history of the conversation, when our stored events miss some."""
        try:
            records = await off_loop(_history)(self.chat, self.scope["session"])
        except exceptions.ChatError as exc:
            return await self.send_json({"type": "error", "ref": None, "message": exc.message})
        if records is not None:
            await self.send_json({"type": "history", "records": records})

    # --- Actions (in order, off the event loop) ---

    async def _run_actions(self):
        while True:
            content = await self.actions.get()
            ref = content.get("ref")
            try:
                sequence, dialog_id = await off_loop(_act)(self.chat.pk, content)
            except exceptions.ChatError as exc:
                await self.send_json({"type": "error", "ref": ref, "message": exc.message})
                continue
            except Exception:  # noqa: BLE001 - the socket must survive a bug in one action
                logger.exception("chat action %s failed", content.get("action"))
                await self.send_json({"type": "error", "ref": ref, "message": "Something went wrong."})
                continue
            if content["action"] in ("send_text", "quick_reply", "survey_answer"):
                sent = {"type": "sent", "ref": ref, "sequence": sequence, "dialog_id": dialog_id}
                await self.send_json(sent)

    # --- Group handlers (conversation_events is the stream's) ---

    async def chat_requests(self, event):
        async with self.send_lock:
            await self._catch_up_requests()

    # --- Event stream hooks (holding send_lock) ---

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
        metadata = content.get("metadata") if isinstance(content.get("metadata"), list) else None
        return actions.conversation_send_text(conversation=chat, text=_text(content), metadata=metadata)
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
    return actions.conversation_close_for_survey(conversation=chat)


def _text(content: dict) -> str:
    text = content.get("text")
    return text if isinstance(text, str) else ""
