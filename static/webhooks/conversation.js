// Conversation page: events stored after the page was rendered arrive over
// /ws/conversations/<pk>/events/?after=<seq>, in seq order, and are appended
// like the rows the server rendered (summary + payload).
import { reconnectingSocket } from "../js/socket.js";

const root = document.getElementById("timeline");
if (root && root.dataset.live === "true") {
  const tbody = root.querySelector("tbody");
  const status = root.querySelector("[data-role=status]");
  const STOPPED = {
    4403: "Live updates stopped: you are not allowed to watch this conversation.",
    4404: "Live updates stopped: this conversation no longer exists.",
  };
  let lastSeq = Number(root.dataset.lastSeq) || 0;

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 19).replace("T", " ");
  }

  // The same one line as webhooks.selectors.event_summary.
  function summary(type, payload) {
    if (!isObject(payload)) return "";
    const event = isObject(payload.event) ? payload.event : {};
    if (type === "ContentEvent") {
      if (event.contentType === "text/plain") return typeof event.message === "string" ? event.message : "";
      return event.contentType ? String(event.contentType) : "";
    }
    if (type === "AcceptStatusEvent") {
      const sequences = Array.isArray(event.sequenceList) ? event.sequenceList : [];
      return `${event.status ?? ""} [${sequences.map(String).join(", ")}]`.trim();
    }
    if (type === "ChatStateEvent") return event.chatState ? String(event.chatState) : "";
    if (type === "UPSERT") {
      const result = isObject(payload.result) ? payload.result : {};
      const details = isObject(result.conversationDetails) ? result.conversationDetails : {};
      return ["state", "stage"].filter((key) => details[key]).map((key) => `${key} ${details[key]}`).join(" · ");
    }
    return "";
  }

  function cell(text) {
    const td = document.createElement("td");
    if (text !== undefined) td.textContent = text;
    return td;
  }

  function row(event) {
    const tr = document.createElement("tr");
    tr.dataset.seq = event.seq;
    const time = document.createElement("time");
    time.setAttribute("datetime", event.received_at);
    time.textContent = formatTime(event.received_at);
    const when = cell();
    when.append(time);
    const details = document.createElement("details");
    const label = document.createElement("summary");
    label.textContent = "Payload";
    const pre = document.createElement("pre");
    pre.className = "payload";
    pre.textContent = JSON.stringify(event.payload, null, 2);
    details.append(label, pre);
    const line = document.createElement("span");
    line.textContent = summary(event.event_type, event.payload);
    const last = cell();
    last.className = "summary";
    last.append(line, details);
    tr.append(cell(String(event.seq)), when, cell(event.event_type), last);
    return tr;
  }

  function receive(events) {
    events.forEach((event) => {
      if (event.seq <= lastSeq) return; // already shown
      tbody.append(row(event));
      lastSeq = event.seq;
      const empty = root.querySelector("[data-role=empty]");
      if (empty) empty.remove();
    });
  }

  reconnectingSocket({
    path: () => `${root.dataset.socketPath}?after=${encodeURIComponent(lastSeq)}`,
    onMessage: (frame) => {
      if (frame.type === "events" && Array.isArray(frame.events)) receive(frame.events);
    },
    onStatus: ({ state, code }) => {
      if (state !== "stopped") return;
      status.textContent = STOPPED[code];
      status.hidden = false;
    },
    stopCodes: Object.keys(STOPPED).map(Number),
  });
}
