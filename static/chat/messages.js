// The message list: messages and receipts from the webhook events, and the
// messaging history (events from before this deployment stored them).
import {
  adoptBubble,
  answeredQuickReplies,
  bubbleFor,
  fileFigure,
  higherTick,
  placeInOrder,
  registerMine,
  setTicks,
  setTyping,
  unconfirmedBubble,
} from "./bubbles.js";
import { scrollDown, state, ui } from "./page.js";
import { quickReplies } from "./quick_replies.js";
import { renderStructured } from "./structured.js";
import { element, isObject, keyOf, originatorRole } from "./util.js";

// Messages are known by (dialog, sequence): sequences restart in each dialog (the
// survey's starts again at 0), so a sequence alone names one message per dialog.
function alreadyShown(dialog, sequence) {
  return typeof sequence === "number" && state.shown.has(keyOf(dialog, sequence));
}

function markShown(dialog, sequence) {
  if (typeof sequence === "number") state.shown.add(keyOf(dialog, sequence));
}

export function messageReceived(change, lpEvent, fromConsumer, receivedAt) {
  if (alreadyShown(change.dialogId, change.sequence)) return; // from the messaging history, or twice
  const when = typeof change.serverTimestamp === "number" ? change.serverTimestamp : receivedAt;
  if (fromConsumer) consumerMessage(change, lpEvent, when);
  else agentMessage(change, lpEvent, when);
  markShown(change.dialogId, change.sequence);
  scrollDown();
}

function consumerMessage(change, lpEvent, when) {
  if (state.mine.has(keyOf(change.dialogId, change.sequence))) return; // our own send, already shown
  const waiting = typeof lpEvent.message === "string" ? unconfirmedBubble(lpEvent.message) : null;
  if (waiting && typeof change.sequence === "number") {
    adoptBubble(waiting, change.dialogId, change.sequence); // it arrived: no second bubble, no "Not sent"
    return;
  }
  const bubble = bubbleFor("consumer", "You", when);
  fillMessage(bubble, change, lpEvent);
  placeInOrder(bubble, change.dialogId, change.sequence);
  registerMine(bubble, change.dialogId, change.sequence);
  answeredQuickReplies();
}

function agentMessage(change, lpEvent, when) {
  const sender = originatorRole(change) === "CONTROLLER" ? "system" : "agent";
  const bubble = bubbleFor(sender, sender === "system" ? "Automatic message" : "Agent", when);
  fillMessage(bubble, change, lpEvent);
  placeInOrder(bubble, change.dialogId, change.sequence);
  setTyping(false);
  const sequence = change.sequence;
  if (typeof sequence === "number") {
    state.agentMessages.set(keyOf(change.dialogId, sequence), { dialog: change.dialogId, sequence });
  }
}

function fillMessage(bubble, change, lpEvent) {
  const body = bubble.querySelector(".body");
  if (lpEvent.type === "RichContentEvent") {
    const rendered = renderStructured(lpEvent.content, change);
    body.append(rendered || element("em", "", "(rich content this page cannot show)"));
  } else if (lpEvent.contentType === "hosted/file" && isObject(lpEvent.message)) {
    body.append(fileFigure(lpEvent.message));
  } else if (typeof lpEvent.message === "string") {
    body.append(element("span", "text", lpEvent.message));
  } else {
    body.append(element("em", "", `(${lpEvent.contentType || "unknown"} content)`));
  }
  if (isObject(lpEvent.quickReplies)) bubble.append(quickReplies(lpEvent.quickReplies, change));
}

// The consumer's own receipts (from this or another tab): not to be sent again.
export function ownReceiptSeen(change, lpEvent) {
  const sequences = Array.isArray(lpEvent.sequenceList) ? lpEvent.sequenceList : [];
  const seen = state.ownReceipts[lpEvent.status];
  if (seen) sequences.forEach((sequence) => seen.add(keyOf(change.dialogId, sequence)));
}

export function agentReceiptSeen(change, lpEvent) {
  const status = { ACCEPT: "accepted", READ: "read" }[lpEvent.status];
  if (!status) return; // ACTION, ACCESS, NACK: nothing to show
  const sequences = Array.isArray(lpEvent.sequenceList) ? lpEvent.sequenceList : [];
  sequences.forEach((sequence) => {
    const key = keyOf(change.dialogId, sequence);
    state.agentTicks.set(key, higherTick(state.agentTicks.get(key), status));
    const bubble = state.mine.get(key);
    if (bubble) setTicks(bubble, status);
  });
}

// History records not already shown from the webhook events (which come first on a
// fresh connect) or from an earlier history frame. `live` records fill in what webhooks
// did not bring yet (a new app's, docs/LIVEPERSON.md, 'Webhook activation'): they join the
// transcript as they come, and the agent's get receipts like any received message.
export function historyReceived(records, live = false) {
  records
    .filter((record) => isObject(record) && !alreadyShown(record.dialog_id, record.seq))
    .sort((a, b) => (a.time || 0) - (b.time || 0))
    .forEach((record) => {
      markShown(record.dialog_id, record.seq);
      if (live) liveRecord(record);
      else ui.historyBox.append(historyBubble(record));
    });
  if (live) scrollDown();
}

function liveRecord(record) {
  const sequence = record.seq;
  if (record.sent_by === "consumer") {
    if (state.mine.has(keyOf(record.dialog_id, sequence))) return;
    const waiting = record.kind === "text" ? unconfirmedBubble(record.text || "") : null;
    if (waiting && typeof sequence === "number") {
      adoptBubble(waiting, record.dialog_id, sequence);
      return;
    }
  }
  const bubble = historyBubble(record);
  placeInOrder(bubble, record.dialog_id, sequence);
  if (record.sent_by === "consumer") registerMine(bubble, record.dialog_id, sequence);
  else if (typeof sequence === "number") {
    setTyping(false);
    state.agentMessages.set(keyOf(record.dialog_id, sequence), { dialog: record.dialog_id, sequence });
  }
}

function historyBubble(record) {
  const fromConsumer = record.sent_by === "consumer";
  const bubble = bubbleFor(fromConsumer ? "consumer" : "agent", fromConsumer ? "You" : "Agent", record.time);
  const body = bubble.querySelector(".body");
  if (record.kind === "file" && isObject(record.file)) body.append(fileFigure(record.file));
  else if (record.kind === "rich") {
    const source = { dialogId: record.dialog_id, sequence: record.seq };
    body.append(renderStructured(record.content, source) || element("em", "", "(rich content)"));
  }
  else body.append(element("span", "text", record.text || ""));
  if (fromConsumer) setTicks(bubble, "sent");
  return bubble;
}
