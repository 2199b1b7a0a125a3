// Small helpers of the demo chat, with no state of their own.

export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// LivePerson content is always put in the page as text (textContent), never as HTML.
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function keyOf(dialog, sequence) {
  return `${dialog || ""}:${sequence}`;
}

// Only http(s) links and images: content may carry javascript: or other schemes.
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (error) {
    return null;
  }
}

export function mapUrl(la, lo) {
  const lat = Number(la);
  const lon = Number(lo);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

export function openInNewTab(url) {
  if (url) window.open(url, "_blank", "noopener");
}

export function formatTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// The role of whoever made a webhook change: CONSUMER, ASSIGNED_AGENT, CONTROLLER…
export function originatorRole(change) {
  const metadata = isObject(change.originatorMetadata) ? change.originatorMetadata : {};
  return typeof metadata.role === "string" ? metadata.role : "";
}

// A change only agents and managers may see (messageAudience AGENTS_AND_MANAGERS: an
// agent's private note). Only a missing audience or ALL is shown to the consumer.
export function isPrivate(change) {
  const audience = change.messageAudience;
  return audience !== undefined && audience !== null && audience !== "" && audience !== "ALL";
}
