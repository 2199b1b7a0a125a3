// Demo chat page: the consumer side of a conversation, over ws/chat/<pk>/?after=<seq>
// (chat.consumers). The server makes every LivePerson call; this page renders the
// webhook events it forwards (in seq order, each once), and sends actions.
// LivePerson content is always put in the page as text (textContent), never as HTML.
import { reconnectingSocket } from "../js/socket.js";

const root = document.getElementById("chat");
if (root) {

  const role = (name) => root.querySelector(`[data-role="${name}"]`);
  const transcript = role("transcript");
  const historyBox = document.createElement("div");
  historyBox.className = "history";
  transcript.append(historyBox);
  const typing = role("typing");
  const errorBox = role("error");
  const connection = role("connection");
  const composer = role("composer");
  const input = composer.querySelector("input[name=text]");
  const upload = role("upload");
  const fileInput = upload.querySelector("input[type=file]");
  const csrfToken = upload.querySelector("input[name=csrfmiddlewaretoken]").value;
  const closeButton = root.querySelector("[data-action=close]");
  const surveyButton = root.querySelector("[data-action=close-survey]");

  const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif"];
  const MAX_IMAGE_BYTES = 3 * 1024 * 1024; // §6.3
  const PAUSE_AFTER_MS = 1000; // §7: PAUSE after 1 s without typing
  const RECEIPT_DELAY_MS = 200; // lets a catch-up's frames arrive before deciding what is unreceipted
  const TICK_ORDER = ["failed", "sending", "sent", "accepted", "read"];
  const TICK_TEXT = { failed: "Not sent", sending: "Sending…", sent: "✓ Sent", accepted: "✓✓ Accepted", read: "✓✓ Read" };
  const STOPPED = {
    4403: "Disconnected: you are not logged in any more. Reload the page after logging in.",
    4404: "Disconnected: this conversation is not in your account.",
  };

  const state = {
    lastSeq: 0, // newest webhook event seq shown
    conversation: null, // the latest "conversation" frame
    socket: null,
    refs: 0,
    pending: new Map(), // ref -> consumer bubble waiting for its "sent"
    mine: new Map(), // "dialog:sequence" -> consumer bubble
    agentTicks: new Map(), // "dialog:sequence" -> what the agent's AcceptStatusEvents said
    agentMessages: new Map(), // "dialog:sequence" -> {dialog, sequence} of received messages
    ownReceipts: { ACCEPT: new Set(), READ: new Set() }, // keys the consumer already acknowledged
    historySeqs: new Set(),
    requestIds: new Set(),
    composing: false,
    idleTimer: null,
    receiptTimer: null,
  };

  // --- Small helpers ---------------------------------------------------------------

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function keyOf(dialog, sequence) {
    return `${dialog || ""}:${sequence}`;
  }

  function currentDialog() {
    return state.conversation ? state.conversation.dialog_id : "";
  }

  // Only http(s) links and images: content may carry javascript: or other schemes.
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function mapUrl(la, lo) {
    const lat = Number(la);
    const lon = Number(lo);
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
    return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
  }

  function openInNewTab(url) {
    if (url) window.open(url, "_blank", "noopener");
  }

  function downloadUrl(relativePath) {
    return `${root.dataset.downloadUrl}?path=${encodeURIComponent(relativePath)}`;
  }

  function formatTime(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function scrollDown() {
    transcript.scrollTop = transcript.scrollHeight;
  }

  // --- Socket ----------------------------------------------------------------------

  function isOpen() {
    return state.socket !== null && state.socket.open;
  }

  function send(action) {
    return state.socket !== null && state.socket.send(action);
  }

  function connect() {
    state.socket = reconnectingSocket({
      path: () => `${root.dataset.socketPath}?after=${encodeURIComponent(state.lastSeq)}`,
      onMessage: receive,
      onStatus: connectionChanged,
      stopCodes: Object.keys(STOPPED).map(Number),
    });
  }

  function connectionChanged({ state: now, delay, code }) {
    connection.dataset.status = now === "live" ? "live" : "offline";
    if (now === "live") connection.textContent = "Live";
    else if (now === "stopped") connection.textContent = STOPPED[code];
    else connection.textContent = `Disconnected: reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`;
  }

  function receive(frame) {
    if (!isObject(frame)) return;
    if (frame.type === "conversation" && isObject(frame.conversation)) conversationChanged(frame.conversation);
    else if (frame.type === "events" && Array.isArray(frame.events)) frame.events.forEach(eventReceived);
    else if (frame.type === "history" && Array.isArray(frame.records)) historyReceived(frame.records);
    else if (frame.type === "requests" && Array.isArray(frame.requests)) frame.requests.forEach(requestLogged);
    else if (frame.type === "sent") sendSucceeded(frame.ref, frame.sequence);
    else if (frame.type === "error") sendFailed(frame.ref, frame.message);
    scheduleReceipts();
  }

  // --- Conversation state ------------------------------------------------------------

  function conversationChanged(conversation) {
    const before = state.conversation;
    state.conversation = conversation;
    const label = conversation.closed ? "Closed" : conversation.in_survey ? "Survey" : "Open";
    role("state").textContent = label;
    root.dataset.state = label.toLowerCase();
    role("survey").hidden = !conversation.in_survey;
    role("closed").hidden = !conversation.closed;
    input.disabled = conversation.closed;
    composer.querySelector("button").disabled = conversation.closed;
    fileInput.disabled = conversation.closed || conversation.in_survey;
    upload.querySelector("button").disabled = conversation.closed || conversation.in_survey;
    closeButton.disabled = conversation.closed;
    surveyButton.disabled = conversation.closed || conversation.in_survey || conversation.state === "CLOSE";
    if (before && !before.in_survey && conversation.in_survey) systemNote("The survey started.");
    if (before && !before.closed && conversation.closed) systemNote("The conversation is closed.");
    if (conversation.in_survey || conversation.closed) setTyping(false);
    if (!before && document.hasFocus() && chatStatesAllowed()) send({ action: "chat_state", state: "ACTIVE" });
  }

  function chatStatesAllowed() {
    // §7: no chat states during the survey (nor after the end).
    const conversation = state.conversation;
    return conversation !== null && !conversation.in_survey && !conversation.closed;
  }

  // --- Webhook events -----------------------------------------------------------------

  function eventReceived(event) {
    if (!isObject(event) || typeof event.seq !== "number" || event.seq <= state.lastSeq) return; // shown already
    state.lastSeq = event.seq;
    notificationLogged(event);
    const change = isObject(event.payload) ? event.payload : {};
    const lpEvent = isObject(change.event) ? change.event : {};
    const fromConsumer = originatorRole(change) === "CONSUMER";
    if (lpEvent.type === "ContentEvent" || lpEvent.type === "RichContentEvent") {
      messageReceived(change, lpEvent, fromConsumer, event.received_at);
    } else if (lpEvent.type === "AcceptStatusEvent") {
      if (fromConsumer) ownReceiptSeen(change, lpEvent);
      else agentReceiptSeen(change, lpEvent);
    } else if (lpEvent.type === "ChatStateEvent" && !fromConsumer) {
      setTyping(lpEvent.chatState === "COMPOSING"); // §7: any other state ends "typing…"
    }
  }

  function originatorRole(change) {
    const metadata = isObject(change.originatorMetadata) ? change.originatorMetadata : {};
    return typeof metadata.role === "string" ? metadata.role : "";
  }

  function messageReceived(change, lpEvent, fromConsumer, receivedAt) {
    const sequence = change.sequence;
    const key = keyOf(change.dialogId, sequence);
    if (state.historySeqs.has(sequence)) return; // shown from the messaging history already
    const when = typeof change.serverTimestamp === "number" ? change.serverTimestamp : receivedAt;
    if (fromConsumer) {
      if (state.mine.has(key)) return; // our own send, already shown
      const bubble = bubbleFor("consumer", "You", when);
      fillMessage(bubble, change, lpEvent);
      transcript.append(bubble);
      registerMine(bubble, change.dialogId, sequence);
      answeredQuickReplies();
    } else {
      const sender = originatorRole(change) === "CONTROLLER" ? "system" : "agent";
      const bubble = bubbleFor(sender, sender === "system" ? "Automatic message" : "Agent", when);
      fillMessage(bubble, change, lpEvent);
      transcript.append(bubble);
      setTyping(false);
      if (typeof sequence === "number") state.agentMessages.set(key, { dialog: change.dialogId, sequence });
    }
    scrollDown();
  }

  function fillMessage(bubble, change, lpEvent) {
    const body = bubble.querySelector(".body");
    if (lpEvent.type === "RichContentEvent") {
      const rendered = renderStructured(lpEvent.content);
      body.append(rendered || element("em", "", "(rich content this page cannot show)"));
    } else if (lpEvent.contentType === "hosted/file" && isObject(lpEvent.message)) {
      body.append(fileFigure(lpEvent.message));
    } else if (typeof lpEvent.message === "string") {
      body.append(element("span", "text", lpEvent.message));
    } else {
      body.append(element("em", "", `(${lpEvent.contentType || "unknown"} content)`));
    }
    if (isObject(lpEvent.quickReplies)) bubble.append(quickReplies(lpEvent.quickReplies, change));
  }

  function ownReceiptSeen(change, lpEvent) {
    const sequences = Array.isArray(lpEvent.sequenceList) ? lpEvent.sequenceList : [];
    const seen = state.ownReceipts[lpEvent.status];
    if (seen) sequences.forEach((sequence) => seen.add(keyOf(change.dialogId, sequence)));
  }

  function agentReceiptSeen(change, lpEvent) {
    const status = { ACCEPT: "accepted", READ: "read" }[lpEvent.status];
    if (!status) return; // ACTION, ACCESS, NACK: nothing to show
    const sequences = Array.isArray(lpEvent.sequenceList) ? lpEvent.sequenceList : [];
    sequences.forEach((sequence) => {
      const key = keyOf(change.dialogId, sequence);
      state.agentTicks.set(key, higherTick(state.agentTicks.get(key), status));
      const bubble = state.mine.get(key);
      if (bubble) setTicks(bubble, status);
    });
  }

  function setTyping(on) {
    typing.hidden = !on;
  }

  // --- Messaging history (events from before this deployment stored them) ----------

  function historyReceived(records) {
    records
      .filter((record) => isObject(record) && !state.historySeqs.has(record.seq))
      .sort((a, b) => (a.time || 0) - (b.time || 0))
      .forEach((record) => {
        state.historySeqs.add(record.seq);
        const fromConsumer = record.sent_by === "consumer";
        const bubble = bubbleFor(fromConsumer ? "consumer" : "agent", fromConsumer ? "You" : "Agent", record.time);
        const body = bubble.querySelector(".body");
        if (record.kind === "file" && isObject(record.file)) body.append(fileFigure(record.file));
        else if (record.kind === "rich") body.append(renderStructured(record.content) || element("em", "", "(rich content)"));
        else body.append(element("span", "text", record.text || ""));
        if (fromConsumer) setTicks(bubble, "sent");
        historyBox.append(bubble);
      });
  }

  // --- Transcript bubbles ----------------------------------------------------------------

  function bubbleFor(sender, label, when) {
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

  function systemNote(text) {
    transcript.append(element("p", "msg note", text));
    scrollDown();
  }

  function higherTick(current, next) {
    return TICK_ORDER.indexOf(next) > TICK_ORDER.indexOf(current || "sending") ? next : current || next;
  }

  function setTicks(bubble, status) {
    const ticks = bubble.querySelector(".ticks");
    if (!ticks) return;
    const shown = ticks.dataset.status;
    const next = status === "failed" ? "failed" : higherTick(shown, status);
    ticks.dataset.status = next;
    ticks.textContent = TICK_TEXT[next];
  }

  // A consumer message got its LivePerson sequence: agent receipts can now find it.
  function registerMine(bubble, dialog, sequence) {
    if (typeof sequence !== "number") return;
    const key = keyOf(dialog, sequence);
    state.mine.set(key, bubble);
    bubble.dataset.sequence = String(sequence);
    setTicks(bubble, "sent");
    const known = state.agentTicks.get(key);
    if (known) setTicks(bubble, known);
  }

  function fileFigure(file) {
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

  // --- Structured content (§11): our own renderer, text only -------------------------

  function renderStructured(content) {
    if (typeof content === "string") {
      try {
        content = JSON.parse(content); // the messaging history keeps it as a JSON string
      } catch (error) {
        return null;
      }
    }
    return renderElement(content);
  }

  function renderElement(item) {
    if (!isObject(item)) return null;
    let node = null;
    if (item.type === "vertical" || item.type === "horizontal") {
      node = element("div", `sc sc-${item.type}`);
      (Array.isArray(item.elements) ? item.elements : []).forEach((child) => {
        const rendered = renderElement(child);
        if (rendered) node.append(rendered);
      });
    } else if (item.type === "text") {
      node = element("p", "sc sc-text", item.text || "");
    } else if (item.type === "image") {
      node = imageElement(item);
    } else if (item.type === "button") {
      node = element("button", "sc sc-button secondary outline", item.title || "");
      node.type = "button";
    } else if (item.type === "map") {
      node = linkElement(mapUrl(item.la, item.lo), item.tooltip || "Open the map", "sc sc-map");
    } else if (item.type === "linkPreview") {
      node = linkElement(safeUrl(item.url), item.title || item.url, "sc sc-link");
    } else {
      return null; // unknown element types are left out, as LivePerson's own renderer does
    }
    if (item.tooltip) node.title = String(item.tooltip);
    applyStyle(node, item.style);
    if (isObject(item.click)) addClick(node, item.click);
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

  function addClick(node, click) {
    const actions = Array.isArray(click.actions) ? click.actions.filter(isObject) : [];
    if (!actions.length) return;
    if (node.tagName !== "BUTTON" && node.tagName !== "A") {
      node.tabIndex = 0;
      node.setAttribute("role", "button");
      node.classList.add("clickable");
    }
    node.addEventListener("click", (domEvent) => {
      domEvent.preventDefault();
      actions.forEach((action) => runAction(action, click.metadata, node));
    });
  }

  function runAction(action, metadata, node) {
    if (action.type === "publishText" && typeof action.text === "string") {
      sendQuickReply(action.text, metadata);
    } else if (action.type === "link") {
      openInNewTab(safeUrl(action.uri));
    } else if (action.type === "navigate") {
      openInNewTab(mapUrl(action.la, action.lo));
    }
    if (node.tagName === "BUTTON") node.blur();
  }

  // --- Quick replies (and the survey's answers) ---------------------------------------

  function quickReplies(group, change) {
    const box = element("div", "quick-replies");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Quick replies");
    (Array.isArray(group.replies) ? group.replies : []).filter(isObject).forEach((reply) => {
      const button = element("button", "secondary outline", reply.title || "");
      button.type = "button";
      if (reply.tooltip) button.title = String(reply.tooltip);
      button.addEventListener("click", () => quickReplyClicked(reply, change, box));
      box.append(button);
    });
    return box;
  }

  function quickReplyClicked(reply, change, box) {
    const click = isObject(reply.click) ? reply.click : {};
    const metadata = Array.isArray(click.metadata) ? click.metadata : undefined;
    const conversation = state.conversation;
    const title = String(reply.title || "");
    const sent = conversation && conversation.in_survey && change.dialogId === conversation.dialog_id
      ? sendAction({ action: "survey_answer", sequence: change.sequence, text: title, metadata: metadata || [] }, title)
      : sendQuickReply(publishedText(click) || title, metadata);
    if (sent) box.querySelectorAll("button").forEach((button) => { button.disabled = true; });
  }

  function publishedText(click) {
    const actions = Array.isArray(click.actions) ? click.actions : [];
    const publish = actions.find((action) => isObject(action) && action.type === "publishText");
    return publish && typeof publish.text === "string" ? publish.text : "";
  }

  // Once the consumer has said something, earlier quick replies are answered or stale.
  function answeredQuickReplies() {
    transcript.querySelectorAll(".quick-replies button").forEach((button) => { button.disabled = true; });
  }

  // --- Sending -------------------------------------------------------------------------

  function sendAction(action, displayText) {
    if (!isOpen()) {
      showError("Not connected: reconnecting. Try again in a moment.");
      return false;
    }
    clearError();
    pauseTyping();
    const ref = `r${++state.refs}`;
    const bubble = bubbleFor("consumer", "You", Date.now());
    bubble.querySelector(".body").append(element("span", "text", displayText));
    bubble.dataset.ref = ref;
    transcript.append(bubble);
    answeredQuickReplies();
    state.pending.set(ref, bubble);
    send({ ...action, ref });
    scrollDown();
    return true;
  }

  function sendQuickReply(text, metadata) {
    const action = { action: "quick_reply", text };
    if (Array.isArray(metadata) && metadata.length) action.metadata = metadata;
    return sendAction(action, text);
  }

  function sendSucceeded(ref, sequence) {
    const bubble = state.pending.get(ref);
    if (!bubble) return;
    state.pending.delete(ref);
    const key = keyOf(currentDialog(), sequence);
    if (state.mine.has(key)) {
      bubble.remove(); // the webhook echo of this message came first and is shown
      return;
    }
    registerMine(bubble, currentDialog(), sequence);
  }

  function sendFailed(ref, message) {
    const text = message || "Something went wrong.";
    const bubble = ref ? state.pending.get(ref) : null;
    if (bubble) {
      state.pending.delete(ref);
      failBubble(bubble, text);
    }
    showError(text);
  }

  function failBubble(bubble, message) {
    bubble.classList.add("failed");
    setTicks(bubble, "failed");
    bubble.querySelector(".ticks").textContent = `Not sent: ${message}`;
  }

  composer.addEventListener("submit", (domEvent) => {
    domEvent.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (sendAction({ action: "send_text", text }, text)) input.value = "";
  });

  closeButton.addEventListener("click", () => {
    if (send({ action: "close" })) clearError();
    else showError("Not connected: reconnecting. Try again in a moment.");
  });

  surveyButton.addEventListener("click", () => {
    if (send({ action: "close_survey" })) clearError();
    else showError("Not connected: reconnecting. Try again in a moment.");
  });

  // --- Image upload (the server does the LivePerson part, §6.3) ----------------------

  upload.addEventListener("submit", async (domEvent) => {
    domEvent.preventDefault();
    const file = fileInput.files[0];
    const problem = imageProblem(file);
    if (problem) return showError(problem);
    clearError();
    const bubble = bubbleFor("consumer", "You", Date.now());
    const figure = element("figure", "file");
    const image = element("img");
    image.alt = file.name;
    image.src = URL.createObjectURL(file);
    figure.append(image, element("figcaption", "", file.name));
    bubble.querySelector(".body").append(figure);
    transcript.append(bubble);
    scrollDown();
    const dialog = currentDialog();
    try {
      const answer = await postFile(file);
      if (state.mine.has(keyOf(dialog, answer.sequence))) bubble.remove();
      else registerMine(bubble, dialog, answer.sequence);
      upload.reset();
    } catch (error) {
      failBubble(bubble, error.message);
      showError(error.message);
    }
  });

  function imageProblem(file) {
    if (!file) return "Choose an image first.";
    if (!IMAGE_TYPES.includes(file.type)) return `“${file.name}” is not a PNG, JPEG or GIF image.`;
    if (file.size > MAX_IMAGE_BYTES) return `“${file.name}” is larger than 3 MB.`;
    return "";
  }

  async function postFile(file) {
    const body = new FormData();
    body.append("file", file);
    let response;
    try {
      response = await fetch(root.dataset.uploadUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken },
      });
    } catch (error) {
      throw new Error("The upload failed: the server could not be reached.");
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    if (!response.ok || !isObject(answer)) {
      const reason = isObject(answer) && answer.error ? answer.error : `the server answered HTTP ${response.status}`;
      throw new Error(`The image was not sent: ${reason}`);
    }
    return answer;
  }

  // --- Chat states (§7) ------------------------------------------------------------------

  input.addEventListener("input", () => {
    if (!chatStatesAllowed()) return;
    if (!state.composing && send({ action: "chat_state", state: "COMPOSING" })) state.composing = true;
    window.clearTimeout(state.idleTimer);
    state.idleTimer = window.setTimeout(pauseTyping, PAUSE_AFTER_MS);
  });

  function pauseTyping() {
    window.clearTimeout(state.idleTimer);
    if (!state.composing) return;
    state.composing = false;
    if (chatStatesAllowed()) send({ action: "chat_state", state: "PAUSE" });
  }

  window.addEventListener("focus", () => {
    if (chatStatesAllowed()) send({ action: "chat_state", state: "ACTIVE" });
  });

  window.addEventListener("blur", () => {
    if (chatStatesAllowed()) send({ action: "chat_state", state: "GONE" });
  });

  // --- Receipts (§7): ACCEPT each agent message, READ while the page is visible -------

  function scheduleReceipts() {
    window.clearTimeout(state.receiptTimer);
    state.receiptTimer = window.setTimeout(sendReceipts, RECEIPT_DELAY_MS);
  }

  function sendReceipts() {
    const conversation = state.conversation;
    if (!conversation || conversation.closed || !isOpen()) return;
    const visible = document.visibilityState === "visible";
    const accept = [];
    const read = [];
    state.agentMessages.forEach((message, key) => {
      // Receipts go to the current dialog: earlier dialogs' messages are left as they are.
      if (message.dialog && message.dialog !== conversation.dialog_id) return;
      if (!state.ownReceipts.ACCEPT.has(key) && !state.ownReceipts.READ.has(key)) accept.push([key, message.sequence]);
      if (visible && !state.ownReceipts.READ.has(key)) read.push([key, message.sequence]);
    });
    receipt("ACCEPT", accept);
    receipt("READ", read);
  }

  function receipt(status, messages) {
    const sequences = messages.map(([, sequence]) => sequence);
    if (!sequences.length || !send({ action: "receipt", status, sequences })) return;
    messages.forEach(([key]) => state.ownReceipts[status].add(key));
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    send({ action: "sync" }); // a hidden tab's socket may have been throttled
    scheduleReceipts();
  });

  // --- Consoles ----------------------------------------------------------------------------

  function consoleEntry(consoleName, summaryText, sections) {
    const box = role(consoleName);
    const item = element("li");
    const details = element("details");
    details.append(element("summary", "", summaryText));
    sections.forEach(([label, value]) => {
      if (value === null || value === undefined || value === "") return;
      details.append(element("h6", "", label), element("pre", "payload", typeof value === "string" ? value : JSON.stringify(value, null, 2)));
    });
    item.append(details);
    box.querySelector("[data-role=entries]").append(item);
    const count = box.querySelector("[data-role=count]");
    count.textContent = String(Number(count.textContent) + 1);
    return item;
  }

  function requestLogged(request) {
    if (!isObject(request) || state.requestIds.has(request.id)) return;
    state.requestIds.add(request.id);
    const outcome = request.status ? `HTTP ${request.status}` : request.error || "no answer";
    const line = `${formatTime(request.at)} ${request.method} ${request.url} → ${outcome} (${request.duration_ms} ms)`;
    consoleEntry("requests-console", line, [
      ["Request headers", request.request_headers],
      ["Request body", request.request_body],
      ["Response", request.response_body],
      ["Error", request.error],
    ]);
  }

  function notificationLogged(event) {
    const change = isObject(event.payload) ? event.payload : {};
    const lpEvent = isObject(change.event) ? change.event : {};
    const detail = [originatorRole(change), lpEvent.chatState, lpEvent.status, lpEvent.contentType].filter(Boolean).join(" ");
    const line = `#${event.seq} ${formatTime(event.received_at)} ${event.event_type} ${detail}`.trim();
    const item = consoleEntry("notifications-console", line, [["Change", event.payload]]);
    item.dataset.seq = String(event.seq);
  }

  // --- Start ---------------------------------------------------------------------------------

  connect();
}
