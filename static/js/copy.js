// Copy buttons: <button class="copy" data-copy="text"> copies its text, and
// data-copy-target="<selector>" the text of the element it names. One listener on
// the document, so rows and panes added later (live rows, the events page's side
// pane) work without wiring. The button says "Copied" for a moment.
const SHOWN_MS = 1500;

async function copy(button) {
  const target = button.dataset.copyTarget ? document.querySelector(button.dataset.copyTarget) : null;
  const text = target ? target.textContent : button.dataset.copy;
  if (text === undefined) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (error) {
    button.textContent = "Copy failed";
  }
  button.dataset.copied = "true";
  window.setTimeout(() => {
    button.textContent = label;
    delete button.dataset.copied;
  }, SHOWN_MS);
}

if (!document.documentElement.dataset.copyButtons) {
  document.documentElement.dataset.copyButtons = "on";
  document.addEventListener("click", (domEvent) => {
    const button = domEvent.target.closest("button[data-copy], button[data-copy-target]");
    if (!button || button.dataset.copied) return;
    domEvent.preventDefault();
    copy(button);
  });
}
