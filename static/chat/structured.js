// Structured content (LivePerson's rich messages): our own renderer, text only.
import { sendQuickReply } from "./composer.js";
import { element, isObject, mapUrl, openInNewTab, safeUrl } from "./util.js";

// `source` is the agent message it came in ({dialogId, sequence}): a click with metadata
// answers that message with an ACTION (composer.js sendQuickReply).
export function renderStructured(content, source) {
  if (typeof content === "string") {
    try {
      content = JSON.parse(content); // the messaging history keeps it as a JSON string
    } catch (error) {
      return null;
    }
  }
  return renderElement(content, source);
}

function renderElement(item, source) {
  if (!isObject(item)) return null;
  const node = nodeFor(item, source);
  if (!node) return null; // unknown element types are left out, as LivePerson's own renderer does
  if (item.tooltip) node.title = String(item.tooltip);
  applyStyle(node, item.style);
  if (isObject(item.click)) addClick(node, item.click, source);
  return node;
}

function nodeFor(item, source) {
  if (item.type === "vertical" || item.type === "horizontal") return layoutElement(item, source);
  if (item.type === "template") return templateElement(item, source);
  if (item.type === "text") return element("p", "sc sc-text", item.text || "");
  if (item.type === "image") return imageElement(item);
  if (item.type === "button") {
    const button = element("button", "sc sc-button secondary outline", item.title || "");
    button.type = "button";
    return button;
  }
  if (item.type === "map") return linkElement(mapUrl(item.la, item.lo), item.tooltip || "Open the map", "sc sc-map");
  if (item.type === "linkPreview") return linkElement(safeUrl(item.url), item.title || item.url, "sc sc-link");
  return null;
}

// A `template` element of templateType quickReply: its title and one button per `resp`
// text, which a click sends (developer-center assets/schema/ms/richContent/basic.json).
function templateElement(item, source) {
  if (item.templateType !== "quickReply") return null;
  const node = element("div", "sc sc-template");
  node.append(element("p", "sc sc-text", item.title || ""));
  const replies = element("div", "quick-replies");
  (Array.isArray(item.resp) ? item.resp : []).filter((text) => typeof text === "string").forEach((text) => {
    const button = element("button", "secondary outline", text);
    button.type = "button";
    const metadata = isObject(item.click) ? item.click.metadata : undefined;
    button.addEventListener("click", () => {
      if (sendQuickReply(text, metadata, source)) replies.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    });
    replies.append(button);
  });
  node.append(replies);
  return node;
}

function layoutElement(item, source) {
  const node = element("div", `sc sc-${item.type}`);
  (Array.isArray(item.elements) ? item.elements : []).forEach((child) => {
    const rendered = renderElement(child, source);
    if (rendered) node.append(rendered);
  });
  return node;
}

function imageElement(item) {
  const figure = element("figure", "sc sc-image");
  const url = safeUrl(item.url);
  if (url) {
    const image = element("img");
    image.src = url;
    image.alt = item.caption || item.tooltip || "";
    figure.append(image);
  }
  if (item.caption) figure.append(element("figcaption", "", item.caption));
  return figure;
}

function linkElement(url, text, className) {
  const link = element("a", className, text);
  if (url) {
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  return link;
}

function applyStyle(node, style) {
  if (!isObject(style)) return;
  if (style.bold) node.style.fontWeight = "bold";
  if (style.italic) node.style.fontStyle = "italic";
  if (["small", "medium", "large"].includes(style.size)) node.classList.add(`sc-size-${style.size}`);
  // Set through the style object, so a value cannot escape its property.
  if (typeof style.color === "string") node.style.color = style.color;
  if (typeof style["background-color"] === "string") node.style.backgroundColor = style["background-color"];
}

function addClick(node, click, source) {
  const actions = Array.isArray(click.actions) ? click.actions.filter(isObject) : [];
  if (!actions.length) return;
  if (node.tagName !== "BUTTON" && node.tagName !== "A") {
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.classList.add("clickable");
  }
  node.addEventListener("click", (domEvent) => {
    domEvent.preventDefault();
    actions.forEach((action) => runAction(action, click.metadata, node, source));
  });
}

function runAction(action, metadata, node, source) {
  if (action.type === "publishText" && typeof action.text === "string") {
    sendQuickReply(action.text, metadata, source);
  } else if (action.type === "link") {
    openInNewTab(safeUrl(action.uri));
  } else if (action.type === "navigate") {
    openInNewTab(mapUrl(action.la, action.lo));
  }
  if (node.tagName === "BUTTON") node.blur();
}
