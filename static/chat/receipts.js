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
  const dialog = conversation.dialog_id;
  state.agentMessages.forEach((message, key) => {
    // Receipts go to the dialog of the messages, the current one: sequences restart in
    // each dialog, so MAIN's numbers mean other messages in the survey's. Earlier
    // dialogs' messages are left as they are.
    if (message.dialog !== dialog) return;
    if (!state.ownReceipts.ACCEPT.has(key) && !state.ownReceipts.READ.has(key)) accept.push([key, message.sequence]);
    if (visible && !state.ownReceipts.READ.has(key)) read.push([key, message.sequence]);
  });
  receipt("ACCEPT", dialog, accept);
  receipt("READ", dialog, read);
}

// The server sends it only while `dialog` is still the conversation's current dialog.
function receipt(status, dialog, messages) {
  const sequences = messages.map(([, sequence]) => sequence);
  if (!sequences.length || !send({ action: "receipt", status, dialog, sequences })) return;
  messages.forEach(([key]) => state.ownReceipts[status].add(key));
}

export function startReceipts() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    send({ action: "sync" }); // a hidden tab's socket may have been throttled
    scheduleReceipts();
  });
}
