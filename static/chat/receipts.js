// Receipts: ACCEPT each agent message, READ it while the page is visible.
import { isOpen, send, state } from "./page.js";

const RECEIPT_DELAY_MS = 200; // lets a catch-up's frames arrive before deciding what is unreceipted

export function scheduleReceipts() {
  window.clearTimeout(state.receiptTimer);
  state.receiptTimer = window.setTimeout(sendReceipts, RECEIPT_DELAY_MS);
}

function sendReceipts() {
  const conversation = state.conversation;
  if (!conversation || conversation.closed || !isOpen()) return;
  const visible = document.visibilityState === "visible";
  const accept = [];
  const read = [];
  state.agentMessages.forEach((message, key) => {
    // Receipts go to the current dialog: earlier dialogs' messages are left as they are.
    if (message.dialog && message.dialog !== conversation.dialog_id) return;
    if (!state.ownReceipts.ACCEPT.has(key) && !state.ownReceipts.READ.has(key)) accept.push([key, message.sequence]);
    if (visible && !state.ownReceipts.READ.has(key)) read.push([key, message.sequence]);
  });
  receipt("ACCEPT", accept);
  receipt("READ", read);
}

function receipt(status, messages) {
  const sequences = messages.map(([, sequence]) => sequence);
  if (!sequences.length || !send({ action: "receipt", status, sequences })) return;
  messages.forEach(([key]) => state.ownReceipts[status].add(key));
}

export function startReceipts() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    send({ action: "sync" }); // a hidden tab's socket may have been throttled
    scheduleReceipts();
  });
}
