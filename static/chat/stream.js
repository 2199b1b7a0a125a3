// The conversation's socket, ws/chat/<pk>/?after=<seq> (chat.consumers): webhook
// events arrive in seq order and are handled once each, whatever the reconnects.
import { reconnectingSocket } from "../js/socket.js";
import { setTyping, systemNote } from "./bubbles.js";
import { sendFailed, sendSucceeded, sendUnconfirmed } from "./composer.js";
import { notificationLogged, requestLogged } from "./consoles.js";
import { conversationChanged } from "./conversation.js";
import { agentReceiptSeen, historyReceived, messageReceived, ownReceiptSeen } from "./messages.js";
import { root, state, ui } from "./page.js";
import { scheduleReceipts } from "./receipts.js";
import { isObject, isPrivate, originatorRole } from "./util.js";

const STOPPED = {
  4403: "Disconnected: you are not logged in any more. Reload the page after logging in.",
  4404: "Disconnected: this conversation is not in your account.",
};

function connectionChanged({ state: now, delay, code }) {
  const connection = ui.connection;
  connection.dataset.status = now === "live" ? "live" : "offline";
  if (now === "live") connection.textContent = "Live";
  else if (now === "stopped") connection.textContent = STOPPED[code];
  else connection.textContent = `Disconnected: reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`;
}

function receive(frame) {
  if (!isObject(frame)) return;
  if (frame.type === "conversation" && isObject(frame.conversation)) conversationChanged(frame.conversation);
  else if (frame.type === "events" && Array.isArray(frame.events)) frame.events.forEach(eventReceived);
  else if (frame.type === "history" && Array.isArray(frame.records)) historyReceived(frame.records, frame.live === true);
  else if (frame.type === "webhooks_pending" || frame.type === "webhooks_active") {
    ui.role("activation").hidden = frame.type === "webhooks_active";
  }
  else if (frame.type === "requests" && Array.isArray(frame.requests)) frame.requests.forEach(requestLogged);
  else if (frame.type === "sent") sendSucceeded(frame.ref, frame.sequence, frame.dialog_id);
  else if (frame.type === "unconfirmed") sendUnconfirmed(frame.ref);
  else if (frame.type === "error") sendFailed(frame.ref, frame.message, frame.retry ? frame.since : undefined);
  scheduleReceipts();
}

function eventReceived(event) {
  if (!isObject(event) || typeof event.seq !== "number" || event.seq <= state.lastSeq) return; // shown already
  state.lastSeq = event.seq;
  notificationLogged(event);
  const change = isObject(event.payload) ? event.payload : {};
  const lpEvent = isObject(change.event) ? change.event : {};
  // What the agent's side did (transfer, queue, TTR, close…), worded by the server (webhooks/changes.py).
  if (Array.isArray(event.notes)) event.notes.forEach((note) => systemNote(String(note)));
  if (isPrivate(change)) return; // for agents and managers only: the notifications console marks it
  const fromConsumer = originatorRole(change) === "CONSUMER";
  if (lpEvent.type === "ContentEvent" || lpEvent.type === "RichContentEvent") {
    messageReceived(change, lpEvent, fromConsumer, event.received_at);
  } else if (lpEvent.type === "AcceptStatusEvent") {
    if (fromConsumer) ownReceiptSeen(change, lpEvent);
    else agentReceiptSeen(change, lpEvent);
  } else if (lpEvent.type === "ChatStateEvent" && !fromConsumer) {
    setTyping(lpEvent.chatState === "COMPOSING"); // any other state ends "typing…"
  }
}

export function connect() {
  state.socket = reconnectingSocket({
    path: () => `${root.dataset.socketPath}?after=${encodeURIComponent(state.lastSeq)}`,
    onMessage: receive,
    onStatus: connectionChanged,
    stopCodes: Object.keys(STOPPED).map(Number),
  });
}
