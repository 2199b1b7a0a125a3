// Sends the browser to the login page when this login session ends elsewhere
// (logout in another tab, or the LivePerson session expiring).
import { reconnectingSocket } from "./socket.js";

const loginUrl = document.querySelector("script[data-login-url]").dataset.loginUrl;
// Set when this tab navigates away (its own logout included): the tab that
// logged out already gets the login page with its message.
let leaving = false;
window.addEventListener("beforeunload", () => { leaving = true; });

// Back to this page after logging in again, as the server's own redirect would.
function loginUrlBackHere() {
  const next = window.location.pathname + window.location.search;
  return `${loginUrl}?next=${encodeURIComponent(next)}`;
}

reconnectingSocket({
  path: () => "/ws/session/",
  onMessage: (frame) => {
    if (frame.type === "session.ended" && !leaving) window.location.assign(loginUrlBackHere());
  },
  // A refused socket (no session) closes with 1000: do not hammer.
  stopCodes: [1000],
});
