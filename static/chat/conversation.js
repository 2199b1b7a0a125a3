// The conversation frame: open, in the survey or closed, and what the page allows then.
import { setTyping, systemNote } from "./bubbles.js";
import { chatStatesAllowed, root, send, state, ui } from "./page.js";

function showState(conversation) {
  const label = conversation.closed ? "Closed" : conversation.in_survey ? "Survey" : "Open";
  ui.role("state").textContent = label;
  root.dataset.state = label.toLowerCase();
  ui.role("survey").hidden = !conversation.in_survey;
  ui.role("closed").hidden = !conversation.closed;
}

function enableControls(conversation) {
  const noFiles = conversation.closed || conversation.in_survey;
  ui.input.disabled = conversation.closed;
  ui.composer.querySelector("button").disabled = conversation.closed;
  ui.fileInput.disabled = noFiles;
  ui.upload.querySelector("button").disabled = noFiles;
  ui.closeButton.disabled = conversation.closed;
  ui.urgentButton.disabled = conversation.state === "CLOSE";
  ui.surveyButton.disabled = noFiles || conversation.state === "CLOSE";
}

export function conversationChanged(conversation) {
  const before = state.conversation;
  state.conversation = conversation;
  showState(conversation);
  enableControls(conversation);
  if (before && !before.in_survey && conversation.in_survey) systemNote("The survey started.");
  if (conversation.in_survey) state.surveySeen = true;
  if (before && !before.closed && conversation.closed) {
    systemNote("The conversation is closed.");
    // LivePerson closes the whole conversation when its skill has no survey: say so, not nothing.
    if (state.surveyAsked && !state.surveySeen) {
      systemNote("No survey ran: this conversation's skill has none. Start a new chat with a survey skill to try one.");
    }
  }
  if (conversation.in_survey || conversation.closed) setTyping(false);
  if (!before && document.hasFocus() && chatStatesAllowed()) send({ action: "chat_state", state: "ACTIVE" });
}
