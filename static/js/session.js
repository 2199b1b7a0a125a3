// Sends the browser to the login page when this login session ends elsewhere
// (logout in another tab, or the LivePerson session expiring).
import { reconnectingSocket } from "./socket.js";

const loginUrl = document.querySelector("script[data-login-url]").dataset.loginUrl;
// Set when this tab navigates away (its own logout included): the tab that
// logged out already gets the login page with its message.
let leaving = false;
window.addEventListener("beforeunload", () => { leaving = true; });

reconnectingSocket({
  path: () => "/ws/session/",
  onMessage: (frame) => {
    if (frame.type === "session.ended" && !leaving) window.location.assign(loginUrl);
  },
  // A refused socket (no session) closes with 1000: do not hammer.
  stopCodes: [1000],
});
