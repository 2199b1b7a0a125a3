// Copy a newly created access token; the page shows it this once only.
(function () {
  "use strict";
  const box = document.querySelector("[data-testid=new-token]");
  if (!box) return;
  const status = box.querySelector("[data-role=status]");
  box.querySelector("[data-action=copy-token]").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(box.querySelector("[data-role=token]").textContent);
      status.textContent = "Copied.";
    } catch (error) {
      status.textContent = `Could not copy (${error.message}); select the token and copy it by hand.`;
    }
  });
})();
