// Quick replies, and the post-conversation survey's answers (its questions come as
// quick replies; an answer goes back with LivePerson's ACTION metadata).
import { sendAction, sendQuickReply } from "./composer.js";
import { state } from "./page.js";
import { element, isObject } from "./util.js";

export function quickReplies(group, change) {
  const box = element("div", "quick-replies");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Quick replies");
  (Array.isArray(group.replies) ? group.replies : []).filter(isObject).forEach((reply) => {
    const button = element("button", "secondary outline", reply.title || "");
    button.type = "button";
    if (reply.tooltip) button.title = String(reply.tooltip);
    button.addEventListener("click", () => quickReplyClicked(reply, change, box));
    box.append(button);
  });
  return box;
}

function quickReplyClicked(reply, change, box) {
  const click = isObject(reply.click) ? reply.click : {};
  const metadata = Array.isArray(click.metadata) ? click.metadata : undefined;
  const conversation = state.conversation;
  const title = String(reply.title || "");
  const sent = conversation && conversation.in_survey && change.dialogId === conversation.dialog_id
    ? sendAction({ action: "survey_answer", sequence: change.sequence, text: title, metadata: metadata || [] }, title)
    : sendQuickReply(publishedText(click) || title, metadata, change);
  if (sent) box.querySelectorAll("button").forEach((button) => { button.disabled = true; });
}

function publishedText(click) {
  const actions = Array.isArray(click.actions) ? click.actions : [];
  const publish = actions.find((action) => isObject(action) && action.type === "publishText");
  return publish && typeof publish.text === "string" ? publish.text : "";
}
