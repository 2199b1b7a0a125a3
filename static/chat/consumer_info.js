// "Consumer info for the agent": new SDEs sent through SEND (chat.actions
// conversation_set_consumer_info); the server checks the fields, errors come back as "error".
import { clearError, root, send, showError } from "./page.js";

export function startConsumerInfo() {
  const form = root.querySelector("[data-role=consumer-info]");
  if (!form) return;
  form.addEventListener("submit", (domEvent) => {
    domEvent.preventDefault();
    const values = {};
    new FormData(form).forEach((value, name) => {
      if (name !== "csrfmiddlewaretoken") values[name] = String(value);
    });
    if (send({ action: "consumer_info", values })) clearError();
    else showError("Not connected: the consumer info was not sent.");
  });
}
