// Events page: deliveries stored after the page was rendered are announced over
// /ws/events/. Page 1 (filtered or not) then fetches their rows from the rows view
// (webhooks.views.delivery_rows: the same filters, ?after_id=, batch after batch
// however many arrived), rendered by the server like the others
// (webhooks/_delivery_row.html), and shows them at the top without moving what
// the reader looks at; any other page says how many matching ones are waiting.
// A row opens its delivery beside the list on wide screens (the detail page's
// own content, fetched), on its own page otherwise.
import { fetchRows, oneAtATime } from "../js/rows.js";
import { reconnectingSocket } from "../js/socket.js";

const WIDE = window.matchMedia("(min-width: 1100px)");
const MAX_ROWS = 500; // live rows beyond this many go, oldest first: the page stays light
const MAX_BATCHES = 20; // per pull: a burst larger than this waits for the next announcement

const root = document.getElementById("deliveries");
if (root) {
  const live = root.dataset.live === "true";
  const tbody = root.querySelector("tbody");
  const banner = root.querySelector("[data-role=banner]");
  const newRows = root.querySelector("[data-role=new-rows]");
  const params = new URLSearchParams(window.location.search);
  const KNOWN_TYPES = ["ContentEvent", "RichContentEvent", "AcceptStatusEvent", "ChatStateEvent", "UPSERT", "DELETE"];
  const waiting = new Set();
  let newestId = Number(root.dataset.newestId) || 0; // newest id announced or rendered
  let shownId = newestId; // newest id whose row was asked for
  let unseen = 0; // rows added above while the reader was further down

  // --- Live rows ---------------------------------------------------------------

  function rowsUrl(after) {
    const url = new URL(root.dataset.rowsUrl, window.location.href);
    params.forEach((value, key) => {
      if (key !== "page" && key !== "selected") url.searchParams.set(key, value);
    });
    url.searchParams.set("after_id", String(after));
    return url.href;
  }

  // Whether the reader has scrolled past the top of the table.
  function readingBelow() {
    const first = tbody.rows[0];
    return Boolean(first) && first.getBoundingClientRect().top < 0;
  }

  // Insert above the rows shown, keeping the row at the top of the view where it is.
  function show(rows) {
    const fresh = rows.filter((row) => !tbody.querySelector(`tr[data-id="${row.dataset.id}"]`));
    if (!fresh.length) return;
    const below = readingBelow();
    const anchor = below ? Array.from(tbody.rows).find((row) => row.getBoundingClientRect().bottom > 0) : null;
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    tbody.prepend(...fresh);
    if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - before);
    root.querySelector("[data-role=table]").hidden = false;
    const empty = root.querySelector("[data-role=empty]");
    if (empty) empty.remove();
    while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild.remove();
    if (below) {
      unseen += fresh.length;
      newRows.textContent = `↑ ${unseen} new`;
      newRows.hidden = false;
    }
  }

  const pull = oneAtATime(async () => {
    for (let batch = 0; batch < MAX_BATCHES && newestId > shownId; batch += 1) {
      const announced = newestId; // one announced while the answer travels is asked for next time
      const { page, rows } = await fetchRows(rowsUrl(shownId), "tbody tr[data-id]");
      const ids = rows.map((row) => Number(row.dataset.id));
      show(rows);
      const more = page.querySelector("tbody").dataset.more === "true";
      // No more matching rows: everything announced before the request is asked for.
      shownId = more && ids.length ? Math.max(...ids) : Math.max(announced, ...ids);
    }
  });

  function seenAgain() {
    if (readingBelow()) return;
    unseen = 0;
    newRows.hidden = true;
  }

  newRows.addEventListener("click", () => {
    root.scrollIntoView({ block: "start" });
    seenAgain();
  });
  window.addEventListener("scroll", seenAgain, { passive: true });

  // --- Counting, on the other pages ---------------------------------------------

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
    deliveries.forEach((delivery) => {
      newestId = Math.max(newestId, Number(delivery.id) || 0);
      if (!live) count(delivery);
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

  startPane();
}

// --- The selected delivery, beside the list ---------------------------------------

function startPane() {
  const layout = document.querySelector("[data-role=layout]");
  const pane = layout.querySelector("[data-role=pane]");
  const body = pane.querySelector("[data-role=pane-body]");
  const link = pane.querySelector("[data-role=pane-link]");
  let asked = 0; // the last delivery asked for: a slower earlier answer is dropped

  function mark(pk) {
    root.querySelectorAll("tbody tr[aria-current]").forEach((row) => row.removeAttribute("aria-current"));
    const row = pk ? root.querySelector(`tbody tr[data-id="${pk}"]`) : null;
    if (row) row.setAttribute("aria-current", "true");
  }

  function remember(pk) {
    const url = new URL(window.location.href);
    if (pk) url.searchParams.set("selected", String(pk));
    else url.searchParams.delete("selected");
    window.history.replaceState(null, "", url.href);
  }

  async function open(href, pk) {
    asked = pk;
    mark(pk);
    remember(pk);
    link.href = href;
    pane.hidden = false;
    layout.classList.add("two-panes");
    const response = await fetch(href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (asked !== pk) return;
    if (!response.ok) {
      body.textContent = `Could not load delivery ${pk} (HTTP ${response.status}).`;
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const detail = page.querySelector("[data-role=delivery-detail]");
    body.replaceChildren(...(detail ? [document.adoptNode(detail)] : []));
    pane.scrollTop = 0;
  }

  function close() {
    asked = 0;
    pane.hidden = true;
    layout.classList.remove("two-panes");
    body.replaceChildren();
    mark(0);
    remember(0);
  }

  root.addEventListener("click", (domEvent) => {
    if (!WIDE.matches || domEvent.ctrlKey || domEvent.metaKey || domEvent.shiftKey || domEvent.button !== 0) return;
    const row = domEvent.target.closest("tbody tr[data-id]");
    if (!row) return;
    const target = domEvent.target.closest("a, button");
    if (target && target.dataset.role !== "open-delivery") return; // its own link or button
    domEvent.preventDefault();
    const opener = row.querySelector("a[data-role=open-delivery]");
    open(opener.href, Number(row.dataset.id)).catch(() => {
      body.textContent = "Could not load this delivery: check the connection and try again.";
    });
  });
  pane.querySelector("[data-role=pane-close]").addEventListener("click", close);
  document.addEventListener("keydown", (domEvent) => {
    if (domEvent.key === "Escape" && !pane.hidden) close();
  });

  const selected = Number(new URLSearchParams(window.location.search).get("selected"));
  const row = selected ? root.querySelector(`tbody tr[data-id="${selected}"]`) : null;
  if (selected && WIDE.matches) {
    const href = row ? row.querySelector("a[data-role=open-delivery]").href : `${window.location.pathname}${selected}/`;
    open(href, selected).catch(() => {});
  }
}
