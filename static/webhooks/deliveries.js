// Events page: deliveries stored after the page was rendered are announced over
// /ws/events/. Page 1 without filters then fetches their rows, rendered by the
// server like the others (webhooks/_delivery_row.html), and shows them at the
// top, as a reload would; any other page says how many matching ones are waiting.
import { fetchRows, oneAtATime } from "../js/rows.js";
import { reconnectingSocket } from "../js/socket.js";

const root = document.getElementById("deliveries");
if (root) {
  const live = root.dataset.live === "true";
  const pageSize = Number(root.dataset.pageSize) || 50;
  const tbody = root.querySelector("tbody");
  const banner = root.querySelector("[data-role=banner]");
  const params = new URLSearchParams(window.location.search);
  const KNOWN_TYPES = ["ContentEvent", "RichContentEvent", "AcceptStatusEvent", "ChatStateEvent", "UPSERT", "DELETE"];
  const waiting = new Set();
  let newestId = Number(root.dataset.newestId) || 0;

  const unshown = new Set(); // ids announced, their rows not fetched yet

  function show(rows) {
    const fresh = rows.filter((row) => !tbody.querySelector(`tr[data-id="${row.dataset.id}"]`));
    if (!fresh.length) return;
    tbody.prepend(...fresh);
    root.querySelector("[data-role=table]").hidden = false;
    const empty = root.querySelector("[data-role=empty]");
    if (empty) empty.remove();
    while (tbody.rows.length > pageSize) tbody.lastElementChild.remove();
  }

  // Page 1 of the same list, holding only the rows after the oldest announced one;
  // one that is not on it any more would not be on a reload either.
  const pull = oneAtATime(async () => {
    const asked = [...unshown];
    if (!asked.length) return;
    const url = new URL(window.location.href);
    url.searchParams.set("after", String(Math.min(...asked) - 1));
    const { rows } = await fetchRows(url.href, "#deliveries tbody tr[data-id]");
    asked.forEach((id) => unshown.delete(id));
    show(rows);
  });

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
        if (live) unshown.add(delivery.id);
        else count(delivery);
      });
    if (live) pull();
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
