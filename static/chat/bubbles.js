// The transcript's bubbles: one per message, with the ticks of the consumer's own.
import { root, ui, state, scrollDown } from "./page.js";
import { element, keyOf, formatTime } from "./util.js";

const TICK_ORDER = ["failed", "sending", "checking", "sent", "accepted", "read"];
const TICK_TEXT = {
  failed: "Not sent",
  sending: "Sending…",
  checking: "No answer yet: checking whether it arrived…",
  sent: "✓ Sent",
  accepted: "✓✓ Accepted",
  read: "✓✓ Read",
};

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
  const shown = ticks.dataset.status === "failed" ? "sending" : ticks.dataset.status; // a retry starts over
  const next = status === "failed" ? "failed" : higherTick(shown, status);
  ticks.dataset.status = next;
  ticks.textContent = TICK_TEXT[next];
}

// Messages show in their dialog's sequence order, not in the order they arrive: after a
// failure retried by numbers LivePerson may deliver a later event first
// (docs/WEBHOOKS.md, 'What LivePerson documents'). A message goes before the first one
// of its dialog with a higher sequence; one without a sequence goes last.
export function placeInOrder(bubble, dialog, sequence) {
  const later = typeof sequence === "number" ? firstAfter(dialog, sequence) : null;
  markOrder(bubble, dialog, sequence);
  if (later) later.before(bubble);
  else ui.transcript.append(bubble);
}

function markOrder(bubble, dialog, sequence) {
  if (typeof sequence !== "number") return;
  bubble.dataset.orderDialog = dialog || "";
  bubble.dataset.orderSequence = String(sequence);
}

function firstAfter(dialog, sequence) {
  const placed = ui.transcript.querySelectorAll(".msg[data-order-sequence]");
  return Array.from(placed).find(
    (other) => other.dataset.orderDialog === (dialog || "") && Number(other.dataset.orderSequence) > sequence,
  ) || null;
}

// A consumer message got its LivePerson sequence: agent receipts can now find it.
export function registerMine(bubble, dialog, sequence) {
  if (typeof sequence !== "number") return;
  const key = keyOf(dialog, sequence);
  state.mine.set(key, bubble);
  markOrder(bubble, dialog, sequence);
  bubble.dataset.sequence = String(sequence);
  setTicks(bubble, "sent");
  const known = state.agentTicks.get(key);
  if (known) setTicks(bubble, known);
}

export function failBubble(bubble, message, retry) {
  bubble.classList.add("failed");
  setTicks(bubble, "failed");
  bubble.querySelector(".ticks").textContent = `Not sent: ${message}`;
  bubble.querySelector(".retry")?.remove();
  if (!retry) return;
  const button = element("button", "retry secondary outline", "Retry");
  button.type = "button";
  button.addEventListener("click", () => { button.remove(); retry(); }, { once: true });
  bubble.querySelector(".meta").append(button);
}

// A message of ours that arrived (its webhook echo, or the history) although its "sent"
// never came, or came without a sequence: the bubble still waiting with the same text,
// oldest first (docs/LIVEPERSON.md, 'Slow answers and duplicates').
export function unconfirmedBubble(text) {
  const waiting = ui.transcript.querySelectorAll(".msg.consumer[data-text]:not([data-sequence])");
  return Array.from(waiting).find((bubble) => bubble.dataset.text === text) || null;
}

export function adoptBubble(bubble, dialog, sequence) {
  if (bubble.dataset.ref) state.pending.delete(bubble.dataset.ref);
  delete bubble.dataset.ref;
  bubble.classList.remove("failed");
  bubble.querySelector(".retry")?.remove();
  registerMine(bubble, dialog, sequence);
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
