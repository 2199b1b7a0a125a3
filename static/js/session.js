// Sends the browser to the login page when this login session ends elsewhere
// (logout in another tab, or the LivePerson session expiring).
(function () {
  "use strict";
  const script = document.currentScript;
  const loginUrl = script.dataset.loginUrl;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  let retryDelay = 1000;
  // Set when this tab navigates away (its own logout included): the tab that
  // logged out already gets the login page with its message.
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });

  function connect() {
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/session/`);
    socket.addEventListener("open", () => { retryDelay = 1000; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "session.ended" && !leaving) {
        window.location.assign(loginUrl);
      }
    });
    socket.addEventListener("close", (event) => {
      // A refused socket (no session) closes before opening: do not hammer.
      if (leaving || event.code === 1000) return;
      retryDelay = Math.min(retryDelay * 2, 30000);
      window.setTimeout(connect, retryDelay);
    });
  }

  if ("WebSocket" in window) connect();
})();
