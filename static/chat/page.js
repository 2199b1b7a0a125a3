// The demo chat page: its elements, and the state its modules share.
import { element } from "./util.js";

export const root = document.getElementById("chat");

function role(name) {
  return root.querySelector(`[data-role="${name}"]`);
}

function elementsOf() {
  const transcript = role("transcript");
  // Messages from the messaging history go first, above the live ones.
  const historyBox = element("div", "history");
  transcript.append(historyBox);
  const composer = role("composer");
  const upload = role("upload");
  return {
    role,
    transcript,
    historyBox,
    typing: role("typing"),
    errorBox: role("error"),
    connection: role("connection"),
    composer,
    input: composer.querySelector("input[name=text]"),
    upload,
    fileInput: upload.querySelector("input[type=file]"),
    csrfToken: upload.querySelector("input[name=csrfmiddlewaretoken]").value,
    closeButton: root.querySelector("[data-action=close]"),
    surveyButton: root.querySelector("[data-action=close-survey]"),
    urgentButton: root.querySelector("[data-action=urgent]"),
  };
}

export const ui = root ? elementsOf() : null;

export const state = {
  lastSeq: 0, // newest webhook event seq shown
  conversation: null, // the latest "conversation" frame
  socket: null, // static/js/socket.js's reconnecting socket
  refs: 0,
  pending: new Map(), // ref -> {bubble, action} of a consumer message waiting for its "sent"
  mine: new Map(), // "dialog:sequence" -> consumer bubble
  agentTicks: new Map(), // "dialog:sequence" -> what the agent's AcceptStatusEvents said
  agentMessages: new Map(), // "dialog:sequence" -> {dialog, sequence} of received messages
  ownReceipts: { ACCEPT: new Set(), READ: new Set() }, // keys the consumer already acknowledged
  shown: new Set(), // "dialog:sequence" of every message shown (events and history)
  requestIds: new Set(),
  surveyAsked: false, // "Close with survey" was clicked
  surveySeen: false, // the survey dialog opened
  composing: false,
  idleTimer: null,
  receiptTimer: null,
};

export function isOpen() {
  return state.socket !== null && state.socket.open;
}

// False when not connected: the action was not sent.
export function send(action) {
  return state.socket !== null && state.socket.send(action);
}

export function currentDialog() {
  return state.conversation ? state.conversation.dialog_id : "";
}

// No chat states during the survey, nor after the end.
export function chatStatesAllowed() {
  const conversation = state.conversation;
  return conversation !== null && !conversation.in_survey && !conversation.closed;
}

export function showError(message) {
  ui.errorBox.textContent = message;
  ui.errorBox.hidden = false;
}

export function clearError() {
  ui.errorBox.hidden = true;
  ui.errorBox.textContent = "";
}

export function scrollDown() {
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}
