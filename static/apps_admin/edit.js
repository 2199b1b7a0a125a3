// Add and remove custom header rows of each webhook (Django formsets).
(function () {
  "use strict";
  document.querySelectorAll(".headers").forEach((block) => {
    const prefix = block.dataset.prefix;
    const total = block.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const rows = block.querySelector(".header-rows");
    const template = block.querySelector("template");

    block.querySelector("[data-action=add-header]").addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      rows.lastElementChild.querySelector("input[type=text]").focus();
    });

    rows.addEventListener("click", (event) => {
      if (!event.target.matches("[data-action=remove-header]")) return;
      const row = event.target.closest(".header-row");
      row.querySelector("input[type=checkbox]").checked = true;
      row.hidden = true;
    });
  });
})();
