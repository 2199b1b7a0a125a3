// The transcript's bubbles: one per message, with the ticks of the consumer's own.
import { root, ui, state, scrollDown } from "./page.js";
import { element, keyOf, formatTime } from "./util.js";

const TICK_ORDER = ["failed", "sending", "sent", "accepted", "read"];
const TICK_TEXT = { failed: "Not sent", sending: "Sending…", sent: "✓ Sent", accepted: "✓✓ Accepted", read: "✓✓ Read" };

export function bubbleFor(sender, label, when) {
  const bubble = element("div", `msg ${sender}`);
  bubble.dataset.sender = sender;
  const meta = element("div", "meta");
  meta.append(element("span", "who", label));
  const time = formatTime(when);
  if (time) meta.append(element("time", "", time));
  bubble.append(element("div", "body"), meta);
  if (sender === "consumer") {
    const ticks = element("span", "ticks");
    meta.append(ticks);
    setTicks(bubble, "sending");
  }
  return bubble;
}

export function systemNote(text) {
  ui.transcript.append(element("p", "msg note", text));
  scrollDown();
}

export function higherTick(current, next) {
  return TICK_ORDER.indexOf(next) > TICK_ORDER.indexOf(current || "sending") ? next : current || next;
}

export function setTicks(bubble, status) {
  const ticks = bubble.querySelector(".ticks");
  if (!ticks) return;
  const shown = ticks.dataset.status;
  const next = status === "failed" ? "failed" : higherTick(shown, status);
  ticks.dataset.status = next;
  ticks.textContent = TICK_TEXT[next];
}

// A consumer message got its LivePerson sequence: agent receipts can now find it.
export function registerMine(bubble, dialog, sequence) {
  if (typeof sequence !== "number") return;
  const key = keyOf(dialog, sequence);
  state.mine.set(key, bubble);
  bubble.dataset.sequence = String(sequence);
  setTicks(bubble, "sent");
  const known = state.agentTicks.get(key);
  if (known) setTicks(bubble, known);
}

export function failBubble(bubble, message) {
  bubble.classList.add("failed");
  setTicks(bubble, "failed");
  bubble.querySelector(".ticks").textContent = `Not sent: ${message}`;
}

function downloadUrl(relativePath) {
  return `${root.dataset.downloadUrl}?path=${encodeURIComponent(relativePath)}`;
}

export function fileFigure(file) {
  const figure = element("figure", "file");
  const image = element("img");
  image.alt = file.caption || "Image";
  const preview = typeof file.preview === "string" && file.preview.startsWith("data:image/") ? file.preview : null;
  if (file.relativePath) {
    image.src = downloadUrl(file.relativePath);
    image.addEventListener("error", () => { if (preview && image.src !== preview) image.src = preview; }, { once: true });
  } else if (preview) {
    image.src = preview;
  }
  figure.append(image);
  if (file.caption) figure.append(element("figcaption", "", file.caption));
  return figure;
}

export function setTyping(on) {
  ui.typing.hidden = !on;
}

// Once the consumer has said something, earlier quick replies are answered or stale.
export function answeredQuickReplies() {
  ui.transcript.querySelectorAll(".quick-replies button").forEach((button) => { button.disabled = true; });
}
