// What every form of the site does in the browser:
// - a failed save's error summary (form[data-error-summary]) gets the focus, and its
//   links focus their field;
// - a form marked data-warn-unsaved asks before the page is left with changes not saved;
// - a form marked data-busy shows its button's data-busy label and refuses a second
//   submission while the server answers (a slow LivePerson takes seconds).
(function () {
  "use strict";

  function focusErrorSummary() {
    const summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    });
  }

  function snapshot(form) {
    return JSON.stringify(Array.from(new FormData(form).entries(), ([key, value]) => [key, String(value)]));
  }

  function warnBeforeLeavingUnsaved() {
    const forms = Array.from(document.querySelectorAll("form[data-warn-unsaved]"));
    if (!forms.length) return;
    // After a failed save nothing on the page is saved yet: leaving it loses what was typed.
    const failed = Boolean(document.querySelector("[data-error-summary]"));
    const saved = new Map(forms.map((form) => [form, failed ? null : snapshot(form)]));
    let submitting = false;
    forms.forEach((form) => form.addEventListener("submit", () => { submitting = true; }));
    window.addEventListener("beforeunload", (event) => {
      if (submitting || forms.every((form) => snapshot(form) === saved.get(form))) return;
      event.preventDefault();
      event.returnValue = "";  // older browsers need it to ask
    });
  }

  function preventDoubleSubmission() {
    document.querySelectorAll("form[data-busy]").forEach((form) => {
      const button = form.querySelector("button[type=submit]");
      const idle = button ? button.textContent : "";
      form.addEventListener("submit", (event) => {
        if (form.dataset.submitting === "true") {
          event.preventDefault();
          return;
        }
        form.dataset.submitting = "true";
        if (!button) return;
        button.setAttribute("aria-busy", "true");
        button.textContent = button.dataset.busy || idle;
        // Disabled after this event, so the button's own value is still submitted.
        setTimeout(() => { button.disabled = true; }, 0);
      });
      // Back to this page from the browser's cache: it is not submitting any more.
      window.addEventListener("pageshow", (event) => {
        if (!event.persisted) return;
        delete form.dataset.submitting;
        if (!button) return;
        button.removeAttribute("aria-busy");
        button.textContent = idle;
        button.disabled = false;
      });
    });
  }

  focusErrorSummary();
  warnBeforeLeavingUnsaved();
  preventDoubleSubmission();
})();
