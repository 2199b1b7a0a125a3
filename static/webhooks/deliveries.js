// Events page: deliveries stored after the page was rendered arrive over
// /ws/events/. Page 1 without filters shows them at the top, as a reload
// would; any other page says how many matching ones are waiting.
import { reconnectingSocket } from "../js/socket.js";

const root = document.getElementById("deliveries");
if (root) {
  const live = root.dataset.live === "true";
  const pageSize = Number(root.dataset.pageSize) || 50;
  const appNames = JSON.parse(document.getElementById("app-names").textContent);
  const tbody = root.querySelector("tbody");
  const banner = root.querySelector("[data-role=banner]");
  const params = new URLSearchParams(window.location.search);
  const KNOWN_TYPES = ["ContentEvent", "RichContentEvent", "AcceptStatusEvent", "ChatStateEvent", "UPSERT", "DELETE"];
  const waiting = new Set();
  let newestId = Number(root.dataset.newestId) || 0;

  function element(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
    return node;
  }

  function cell(...children) {
    const td = document.createElement("td");
    children.forEach((child) => td.append(child));
    return td;
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 19).replace("T", " ");
  }

  function outcomeBadge(delivery) {
    if (delivery.reason === "accepted") return element("span", "accepted", { class: "badge on" });
    if (delivery.reason === "duplicate") {
      return element("span", "duplicate", { class: "badge demo", title: delivery.reason_label });
    }
    return element("span", delivery.reason_label || delivery.reason, { class: "badge rejected" });
  }

  function appCell(clientId) {
    if (appNames[clientId]) return cell(appNames[clientId]);
    return clientId ? cell(element("code", clientId)) : cell("–");
  }

  function conversationsCell(conversations) {
    const td = cell();
    if (!conversations.length) td.textContent = "–";
    conversations.forEach((conversation, index) => {
      if (index) td.append(" ");
      const link = element("a", null, { href: `${root.dataset.conversationUrl}${conversation.id}/` });
      link.append(element("code", conversation.conversation_id));
      td.append(link);
    });
    return td;
  }

  function row(delivery) {
    const tr = element("tr", null, { "data-id": delivery.id });
    const link = element("a", null, { href: `${root.dataset.deliveryUrl}${delivery.id}/` });
    link.append(element("time", formatTime(delivery.received_at), { datetime: delivery.received_at }));
    tr.append(
      cell(link),
      cell(String(delivery.status)),
      cell(outcomeBadge(delivery)),
      appCell(delivery.client_id),
      cell(delivery.notification_type || "–"),
      cell(String(delivery.event_count)),
      conversationsCell(delivery.conversations || []),
    );
    return tr;
  }

  function prepend(delivery) {
    if (tbody.querySelector(`tr[data-id="${delivery.id}"]`)) return;
    tbody.prepend(row(delivery));
    root.querySelector("[data-role=table]").hidden = false;
    const empty = root.querySelector("[data-role=empty]");
    if (empty) empty.remove();
    while (tbody.rows.length > pageSize) tbody.lastElementChild.remove();
  }

  // The filters of this page, applied to a pushed delivery (the server's rules).
  function matches(delivery) {
    const app = params.get("app");
    const outcome = params.get("outcome");
    const conversation = params.get("conversation");
    const type = params.get("event_type");
    const types = delivery.event_types || [];
    if (app && delivery.client_id !== app) return false;
    if (outcome === "accepted" && !delivery.accepted) return false;
    if (outcome === "rejected" && delivery.accepted) return false;
    if (conversation && !(delivery.conversations || []).some((c) => c.conversation_id === conversation)) {
      return false;
    }
    if (type === "other" && !types.some((t) => !KNOWN_TYPES.includes(t))) return false;
    if (type && type !== "other" && !types.includes(type)) return false;
    return inTimeRange(Date.parse(delivery.received_at));
  }

  function inTimeRange(time) {
    // datetime-local values are read as UTC by the server; "to" includes its minute.
    const since = Date.parse(`${params.get("since")}Z`);
    const until = Date.parse(`${params.get("until")}Z`);
    if (!Number.isNaN(since) && time < since) return false;
    return Number.isNaN(until) || time < until + 60000;
  }

  function count(delivery) {
    if (!matches(delivery)) return;
    waiting.add(delivery.id);
    const n = waiting.size;
    banner.querySelector("[data-role=banner-text]").textContent = `${n} new ${n === 1 ? "delivery" : "deliveries"}`;
    banner.hidden = false;
  }

  function receive(deliveries) {
    deliveries
      .slice()
      .sort((a, b) => a.id - b.id)
      .forEach((delivery) => {
        newestId = Math.max(newestId, delivery.id);
        if (live) prepend(delivery);
        else count(delivery);
      });
  }

  reconnectingSocket({
    path: () => root.dataset.socketPath,
    // The server sends what was stored after the newest one shown, then the live ones.
    onOpen: (socket) => socket.send({ type: "sync", after_id: newestId }),
    onMessage: (frame) => {
      if (frame.type === "deliveries" && Array.isArray(frame.deliveries)) receive(frame.deliveries);
    },
    // 4403: not allowed; 4404: nothing to watch. Reconnecting cannot help.
    stopCodes: [4403, 4404],
  });
}
