// Start form: of the "webhooks do not point at this site" warnings, only the one
// of the app the select shows (the server hides the others at first).
const select = document.getElementById("id_client_id");
if (select) {
  const warnings = document.querySelectorAll("[data-testid=app-not-here][data-client-id]");
  const follow = () => {
    warnings.forEach((warning) => {
      warning.hidden = warning.dataset.clientId !== select.value;
    });
  };
  select.addEventListener("change", follow);
  follow();
}
