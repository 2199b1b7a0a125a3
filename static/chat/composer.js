// What the consumer sends: texts, quick replies and survey answers (shown at once,
// confirmed by the server's "sent"), the close buttons, and the chat states.
import { answeredQuickReplies, bubbleFor, failBubble, registerMine } from "./bubbles.js";
import { chatStatesAllowed, clearError, currentDialog, isOpen, scrollDown, send, showError, state, ui } from "./page.js";
import { element, keyOf } from "./util.js";

const PAUSE_AFTER_MS = 1000; // PAUSE after 1 s without typing
const NOT_CONNECTED = "Not connected: reconnecting. Try again in a moment.";

// Shows the consumer's bubble and sends the action with a ref the answer carries.
export function sendAction(action, displayText) {
  if (!isOpen()) {
    showError(NOT_CONNECTED);
    return false;
  }
  clearError();
  pauseTyping();
  const ref = `r${++state.refs}`;
  const bubble = bubbleFor("consumer", "You", Date.now());
  bubble.querySelector(".body").append(element("span", "text", displayText));
  bubble.dataset.ref = ref;
  ui.transcript.append(bubble);
  answeredQuickReplies();
  state.pending.set(ref, bubble);
  send({ ...action, ref });
  scrollDown();
  return true;
}

export function sendQuickReply(text, metadata) {
  const action = { action: "quick_reply", text };
  if (Array.isArray(metadata) && metadata.length) action.metadata = metadata;
  return sendAction(action, text);
}

// `dialog` is where the server sent it: the page's idea of the current dialog may be late.
export function sendSucceeded(ref, sequence, dialog) {
  const bubble = state.pending.get(ref);
  if (!bubble) return;
  state.pending.delete(ref);
  const sentTo = typeof dialog === "string" && dialog ? dialog : currentDialog();
  const key = keyOf(sentTo, sequence);
  if (state.mine.has(key)) {
    bubble.remove(); // the webhook echo of this message came first and is shown
    return;
  }
  registerMine(bubble, sentTo, sequence);
  if (typeof sequence === "number") state.shown.add(key);
}

export function sendFailed(ref, message) {
  const text = message || "Something went wrong.";
  const bubble = ref ? state.pending.get(ref) : null;
  if (bubble) {
    state.pending.delete(ref);
    failBubble(bubble, text);
  }
  showError(text);
}

function sendCommand(action) {
  if (send(action)) clearError();
  else showError(NOT_CONNECTED);
}

function pauseTyping() {
  window.clearTimeout(state.idleTimer);
  if (!state.composing) return;
  state.composing = false;
  if (chatStatesAllowed()) send({ action: "chat_state", state: "PAUSE" });
}

function typed() {
  if (!chatStatesAllowed()) return;
  if (!state.composing && send({ action: "chat_state", state: "COMPOSING" })) state.composing = true;
  window.clearTimeout(state.idleTimer);
  state.idleTimer = window.setTimeout(pauseTyping, PAUSE_AFTER_MS);
}

function chatState(name) {
  if (chatStatesAllowed()) send({ action: "chat_state", state: name });
}

export function startComposer() {
  ui.composer.addEventListener("submit", (domEvent) => {
    domEvent.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if (sendAction({ action: "send_text", text }, text)) ui.input.value = "";
  });
  ui.closeButton.addEventListener("click", () => sendCommand({ action: "close" }));
  ui.surveyButton.addEventListener("click", () => sendCommand({ action: "close_survey" }));
  ui.input.addEventListener("input", typed);
  window.addEventListener("focus", () => chatState("ACTIVE"));
  window.addEventListener("blur", () => chatState("GONE"));
}
