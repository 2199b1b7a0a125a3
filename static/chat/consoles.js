// The requests console (every LivePerson request made for the conversation) and
// the notifications console (every webhook event), as they arrive.
import "../js/copy.js";
import { state, ui } from "./page.js";
import { element, formatTime, isObject, isPrivate, originatorRole } from "./util.js";

function consoleEntry(consoleName, summaryText, sections) {
  const box = ui.role(consoleName);
  const item = element("li");
  const details = element("details");
  details.append(element("summary", "", summaryText));
  sections.forEach(([label, value]) => {
    if (value === null || value === undefined || value === "") return;
    const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
    details.append(element("h6", "", label), element("pre", "payload", text));
  });
  item.append(details);
  box.querySelector("[data-role=entries]").append(item);
  const count = box.querySelector("[data-role=count]");
  count.textContent = String(Number(count.textContent) + 1);
  return item;
}

// Each request by what it does (chat.console.request_name) and how long it took;
// its method and URL, and the same request as curl (secrets as "$LP_…" variables to
// set: the page never has them), inside.
export function requestLogged(request) {
  if (!isObject(request) || state.requestIds.has(request.id)) return;
  state.requestIds.add(request.id);
  const outcome = request.status ? `HTTP ${request.status}` : request.error || "no answer";
  const name = request.name || `${request.method} ${request.url}`;
  const line = `${formatTime(request.at)} ${name} · ${Math.round(request.duration_ms)} ms → ${outcome}`;
  const item = consoleEntry("requests-console", line, [
    ["Request", `${request.method} ${request.url}`],
    ["Request headers", request.request_headers],
    ["Request body", request.request_body],
    ["Response", request.response_body],
    ["Error", request.error],
    ["As curl", request.curl],
  ]);
  item.dataset.name = name;
  if (request.status === null || request.status >= 400) item.dataset.failed = "true";
  if (request.curl) {
    const copy = element("button", "copy secondary outline", "Copy as curl");
    copy.type = "button";
    copy.dataset.copy = request.curl;
    copy.dataset.testid = "copy-curl";
    item.querySelector("details").append(copy);
  }
}

export function notificationLogged(event) {
  const change = isObject(event.payload) ? event.payload : {};
  const lpEvent = isObject(change.event) ? change.event : {};
  const hidden = isPrivate(change);
  const audience = hidden ? "private (agents and managers only)" : "";
  const detail = [originatorRole(change), lpEvent.chatState, lpEvent.status, lpEvent.contentType, audience].filter(Boolean).join(" ");
  const line = `#${event.seq} ${formatTime(event.received_at)} ${event.event_type} ${detail}`.trim();
  const item = consoleEntry("notifications-console", line, [["Change", event.payload]]);
  item.dataset.seq = String(event.seq);
  if (hidden) item.dataset.audience = String(change.messageAudience);
}
