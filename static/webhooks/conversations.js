// Conversations page: the account's deliveries are announced over /ws/events/
// (as on the events page); page 1 then fetches the rows of the conversations they
// name from the rows view (webhooks.views.conversation_rows: the page's filters,
// rendered by webhooks/_conversation_row.html) and puts them at the top, newest
// activity first: a new conversation appears, an updated one moves up with its
// new state, count and time.
import { fetchRows, oneAtATime } from "../js/rows.js";
import { reconnectingSocket } from "../js/socket.js";

const MAX_IDS = 50; // the rows view reads at most this many ids per request

const root = document.getElementById("conversations");
if (root && root.dataset.live === "true") {
  const tbody = root.querySelector("tbody");
  const pageSize = 50;
  let newestId = Number(root.dataset.newestDeliveryId) || 0;
  const changed = new Set(); // conversation pks named by deliveries, rows not fetched yet

  function rowsUrl(pks) {
    const url = new URL(root.dataset.rowsUrl, window.location.href);
    new URLSearchParams(window.location.search).forEach((value, key) => {
      if (key !== "page") url.searchParams.set(key, value);
    });
    url.searchParams.set("ids", pks.join(","));
    return url.href;
  }

  function show(rows) {
    if (!rows.length) return;
    rows.forEach((row) => {
      const old = tbody.querySelector(`tr[data-id="${row.dataset.id}"]`);
      if (old) old.remove();
    });
    tbody.prepend(...rows); // the view sends them newest activity first
    while (tbody.rows.length > pageSize) tbody.lastElementChild.remove();
    root.querySelector("[data-role=table]").hidden = false;
    const empty = root.querySelector("[data-role=empty]");
    if (empty) empty.remove();
  }

  const pull = oneAtATime(async () => {
    while (changed.size) {
      const pks = [...changed].slice(0, MAX_IDS);
      const { rows } = await fetchRows(rowsUrl(pks), "tbody tr[data-id]");
      pks.forEach((pk) => changed.delete(pk));
      show(rows);
    }
  });

  function receive(deliveries) {
    deliveries.forEach((delivery) => {
      newestId = Math.max(newestId, Number(delivery.id) || 0);
      (delivery.conversations || []).forEach((conversation) => {
        if (Number.isInteger(conversation.id)) changed.add(conversation.id);
      });
    });
    pull();
  }

  reconnectingSocket({
    path: () => root.dataset.socketPath,
    // What was stored after the newest delivery this page knew of, then the live ones.
    onOpen: (socket) => socket.send({ type: "sync", after_id: newestId }),
    onMessage: (frame) => {
      if (frame.type === "deliveries" && Array.isArray(frame.deliveries)) receive(frame.deliveries);
    },
    stopCodes: [4403, 4404],
  });
}
