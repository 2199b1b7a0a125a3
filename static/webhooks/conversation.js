// Conversation page: the socket, /ws/conversations/<pk>/events/?after=<seq>,
// announces the events stored after the page was rendered; the page then fetches
// their rows, rendered by the server like the others (webhooks/_event_row.html),
// and appends them in seq order, each once.
import { fetchRows, oneAtATime } from "../js/rows.js";
import { reconnectingSocket } from "../js/socket.js";

const ROWS = "#timeline tbody tr[data-seq]";
const STOPPED = {
  4403: "Live updates stopped: you are not allowed to watch this conversation.",
  4404: "Live updates stopped: this conversation no longer exists.",
};

const root = document.getElementById("timeline");
if (root && root.dataset.live === "true") start(root);

function seqOf(row) {
  return Number(row.dataset.seq);
}

// The header's event count and last time, from the newest row (events are numbered 1, 2, 3…).
function headerFollows(row) {
  const count = document.querySelector("[data-role=event-count]");
  const last = document.querySelector("[data-role=last-event]");
  const time = row.querySelector("time");
  const seq = seqOf(row);
  if (count) count.textContent = `${seq} event${seq === 1 ? "" : "s"}`;
  if (last && time) {
    last.dateTime = time.dateTime;
    last.textContent = time.textContent;
  }
}

function start(root) {
  const tbody = root.querySelector("tbody");
  let shown = Number(root.dataset.lastSeq) || 0; // newest seq in the table
  let announced = shown; // newest seq the socket told of

  // The rows after `shown`; the page holds at most its limit of the newest, so
  // a longer gap is filled from the earlier pages.
  async function rowsAfter(after) {
    let rows = [];
    let url = `${window.location.pathname}?after=${after}`;
    for (;;) {
      const { page, rows: batch } = await fetchRows(url, ROWS);
      rows = batch.concat(rows);
      const earlier = page.querySelector("[data-testid=earlier-events]");
      if (!earlier || !batch.length || seqOf(batch[0]) <= after + 1) return rows;
      url = `${window.location.pathname}?before=${seqOf(batch[0])}&after=${after}`;
    }
  }

  const pull = oneAtATime(async () => {
    while (announced > shown) {
      const rows = (await rowsAfter(shown)).filter((row) => seqOf(row) > shown);
      if (!rows.length) return; // announced but not stored here: nothing to show
      tbody.append(...rows);
      shown = seqOf(rows[rows.length - 1]);
      headerFollows(rows[rows.length - 1]);
      const empty = root.querySelector("[data-role=empty]");
      if (empty) empty.remove();
    }
  });

  reconnectingSocket({
    path: () => `${root.dataset.socketPath}?after=${encodeURIComponent(announced)}`,
    onMessage: (frame) => {
      if (frame.type !== "events" || !Array.isArray(frame.events)) return;
      frame.events.forEach((event) => { announced = Math.max(announced, Number(event.seq) || 0); });
      pull();
    },
    onStatus: ({ state, code }) => {
      if (state !== "stopped") return;
      const status = root.querySelector("[data-role=status]");
      status.textContent = STOPPED[code];
      status.hidden = false;
    },
    stopCodes: Object.keys(STOPPED).map(Number),
  });
}
