// The site menu: a Pico dropdown (a <details>) on a narrow screen, laid out
// flat in the header where the links fit. Without this script it stays a
// dropdown at every width, which still works.
const menu = document.querySelector("[data-nav-menu]");
const wide = window.matchMedia("(min-width: 1024px)");

function layOut() {
  menu.classList.toggle("dropdown", !wide.matches);
  menu.open = wide.matches;
}

if (menu) {
  layOut();
  wide.addEventListener("change", layOut);
}
