// What the consumer sends: texts, quick replies and survey answers (shown at once,
// confirmed by the server's "sent"), the close buttons, and the chat states.
import { answeredQuickReplies, bubbleFor, failBubble, registerMine, setTicks } from "./bubbles.js";
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
  const bubble = bubbleFor("consumer", "You", Date.now());
  bubble.querySelector(".body").append(element("span", "text", displayText));
  if (typeof action.text === "string") bubble.dataset.text = action.text.trim(); // to recognise its echo
  ui.transcript.append(bubble);
  answeredQuickReplies();
  sendFor(bubble, action);
  scrollDown();
  return true;
}

function sendFor(bubble, action) {
  const ref = `r${++state.refs}`;
  bubble.dataset.ref = ref;
  state.pending.set(ref, { bubble, action });
  send({ ...action, ref });
}

// A retry names when the message was first sent: the server sends it again only if it
// has still not arrived (chat.consumers).
function retryLater(bubble, action, since) {
  if (typeof since !== "number") return null;
  return () => {
    if (!isOpen()) {
      showError(NOT_CONNECTED);
      failBubble(bubble, NOT_CONNECTED, retryLater(bubble, action, since));
      return;
    }
    clearError();
    bubble.classList.remove("failed");
    setTicks(bubble, "sending");
    sendFor(bubble, { ...action, since });
  };
}

// `source` is the clicked agent message (its dialogId and sequence): with metadata, the
// server first sends an ACTION on it carrying the metadata (chat.actions conversation_click).
export function sendQuickReply(text, metadata, source) {
  const action = { action: "quick_reply", text };
  if (Array.isArray(metadata) && metadata.length) {
    action.metadata = metadata;
    if (source && typeof source.sequence === "number") {
      action.sequence = source.sequence;
      action.dialog = source.dialogId;
    }
  }
  return sendAction(action, text);
}

// `dialog` is where the server sent it: the page's idea of the current dialog may be late.
export function sendSucceeded(ref, sequence, dialog) {
  const pending = state.pending.get(ref);
  if (!pending) return; // its echo came first and took the bubble
  const bubble = pending.bubble;
  state.pending.delete(ref);
  delete bubble.dataset.ref;
  const sentTo = typeof dialog === "string" && dialog ? dialog : currentDialog();
  const key = keyOf(sentTo, sequence);
  if (state.mine.has(key)) {
    bubble.remove(); // the webhook echo of this message came first and is shown
    return;
  }
  if (typeof sequence !== "number") {
    setTicks(bubble, "sent"); // accepted without a sequence: its echo will give it one
    return;
  }
  registerMine(bubble, sentTo, sequence);
  state.shown.add(key);
}

// LivePerson did not answer in time: the server checks whether it arrived.
export function sendUnconfirmed(ref) {
  const pending = state.pending.get(ref);
  if (pending) setTicks(pending.bubble, "checking");
}

export function sendFailed(ref, message, since) {
  const text = message || "Something went wrong.";
  const pending = ref ? state.pending.get(ref) : null;
  if (ref && !pending) return; // the message arrived meanwhile (its echo took the bubble)
  if (pending) {
    state.pending.delete(ref);
    delete pending.bubble.dataset.ref;
    failBubble(pending.bubble, text, retryLater(pending.bubble, pending.action, since));
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
  ui.surveyButton.addEventListener("click", () => {
    state.surveyAsked = true; // conversation.js says so if it closes without one
    sendCommand({ action: "close_survey" });
  });
  ui.urgentButton.addEventListener("click", () => sendCommand({ action: "mark_urgent" }));
  ui.input.addEventListener("input", typed);
  window.addEventListener("focus", () => chatState("ACTIVE"));
  window.addEventListener("blur", () => chatState("GONE"));
}
