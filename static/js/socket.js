// One WebSocket that reconnects: every page with a live socket uses this.
// After a drop it waits with exponential backoff (doubling from baseDelay up to
// maxDelay), with jitter so that the tabs a server restart dropped do not all
// come back in the same instant. The path is asked for again at each connect,
// so a page can resume where it was (?after=<seq>). A close code in stopCodes
// means reconnecting cannot help (not allowed, nothing to watch): it stops.

const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";

function socketUrl(path) {
  return `${scheme}//${window.location.host}${path}`;
}

// Half the backoff step, plus up to the other half at random.
function retryDelay(attempt, baseDelay, maxDelay) {
  const step = Math.min(maxDelay, baseDelay * 2 ** attempt);
  return step / 2 + Math.random() * (step / 2);
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return null; // not a frame of ours
  }
}

// path(): the path (and query) to connect to, asked at each connect.
// onOpen(socket), onMessage(frame): frame is the parsed JSON.
// onStatus(status): {state: "live"} | {state: "retrying", delay} | {state: "stopped", code}.
export function reconnectingSocket({
  path,
  onOpen = () => {},
  onMessage = () => {},
  onStatus = () => {},
  stopCodes = [],
  baseDelay = 1000,
  maxDelay = 30000,
}) {
  let current = null;
  let attempt = 0;
  // Set when this tab navigates away: its sockets close then, and must stay closed.
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });

  const handle = {
    get open() {
      return current !== null && current.readyState === WebSocket.OPEN;
    },
    // False when the frame could not be sent (not connected).
    send(frame) {
      if (!handle.open) return false;
      current.send(JSON.stringify(frame));
      return true;
    },
  };

  function connect() {
    const socket = new WebSocket(socketUrl(path()));
    current = socket;
    socket.addEventListener("open", () => {
      attempt = 0;
      onStatus({ state: "live" });
      onOpen(handle);
    });
    socket.addEventListener("message", (message) => {
      const frame = parse(message.data);
      if (frame !== null) onMessage(frame);
    });
    socket.addEventListener("close", (event) => closed(event.code));
  }

  function closed(code) {
    if (leaving) return;
    if (stopCodes.includes(code)) {
      onStatus({ state: "stopped", code });
      return;
    }
    const delay = retryDelay(attempt, baseDelay, maxDelay);
    attempt += 1;
    onStatus({ state: "retrying", delay });
    window.setTimeout(connect, delay);
  }

  connect();
  return handle;
}
