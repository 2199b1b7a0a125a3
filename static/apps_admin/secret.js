// Reveal and copy an app's client secret. The page never contains the secret:
// it is fetched (POST, CSRF-protected) only when the user asks for it.
(function () {
  "use strict";
  const box = document.querySelector("[data-secret-url]");
  if (!box) return;
  const code = box.querySelector("code");
  const status = box.querySelector("[data-role=status]");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  let secret = null;

  async function fetchSecret() {
    if (secret !== null) return secret;
    const response = await fetch(box.dataset.secretUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    secret = (await response.json()).client_secret;
    return secret;
  }

  box.querySelector("[data-action=reveal]").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    status.textContent = "";  // a "Copied." of before says nothing about this click
    if (button.dataset.shown === "true") {
      code.textContent = "••••••••••••••••••••••••";
      button.textContent = "Reveal";
      button.dataset.shown = "false";
      return;
    }
    try {
      code.textContent = await fetchSecret();
      button.textContent = "Hide";
      button.dataset.shown = "true";
    } catch (error) {
      status.textContent = `Could not load the secret (${error.message}).`;
    }
  });

  box.querySelector("[data-action=copy]").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(await fetchSecret());
      status.textContent = "Copied.";
    } catch (error) {
      status.textContent = `Could not copy (${error.message}).`;
    }
  });
})();
