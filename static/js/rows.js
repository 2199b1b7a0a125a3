// Table rows as the server renders them: the live pages fetch their own page
// with ?after=<n> (the page then holds only the rows after n) and take its rows,
// so each row's markup lives in one Django template.

// The document at url, and its rows matching selector, ready to insert here.
export async function fetchRows(url, selector) {
  const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  return { page, rows: Array.from(page.querySelectorAll(selector), (row) => document.adoptNode(row)) };
}

// pull() run one at a time: asked again while it runs, it runs once more after;
// when it fails, it is tried again after retryDelay.
export function oneAtATime(pull, retryDelay = 2000) {
  let running = false;
  let again = false;
  async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await pull();
    } catch (error) {
      window.setTimeout(run, retryDelay);
    }
    running = false;
    if (again) {
      again = false;
      run();
    }
  }
  return run;
}
