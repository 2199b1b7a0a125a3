// Sandbox agent page: polls the conversation's events every second and appends
// them; the forms post in the background (their CSRF token travels in the
// FormData) so the person keeps the page, and fall back to plain posts without JS.
(function () {
  "use strict";
  const root = document.getElementById("agent-desk");
  if (!root || !window.fetch) return;
  const tbody = root.querySelector("tbody");
  const status = root.querySelector("[data-role=status]");
  const typing = root.querySelector("[data-role=typing]");
  const modeForm = root.querySelector("[data-role=mode-form]");
  const pollMs = Number(root.dataset.pollMs) || 1000;
  const MODE_LABELS = { scripted: "Scripted agent", human: "A person on the sandbox agent page" };
  let lastId = Number(root.dataset.lastId) || 0;
  let polling = false;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function row(event) {
    const tr = document.createElement("tr");
    tr.dataset.id = event.id;
    const content = document.createElement("td");
    content.className = "summary";
    if (event.audience && event.audience !== "ALL") {
      tr.dataset.audience = event.audience;
      const mark = document.createElement("mark");
      mark.dataset.role = "private";
      mark.textContent = "Private";
      content.append(mark, " ");
    }
    const line = document.createElement("span");
    line.textContent = event.summary;
    const details = document.createElement("details");
    const label = document.createElement("summary");
    label.textContent = "Event";
    const pre = document.createElement("pre");
    pre.className = "payload";
    pre.textContent = JSON.stringify(event.event, null, 2);
    details.append(label, pre);
    content.append(line, details);
    tr.append(
      cell(event.sequence === null ? "" : String(event.sequence)),
      cell(event.dialogType),
      cell(event.role),
      cell(event.event.type || ""),
      content,
    );
    return tr;
  }

  // The SDEs the consumer set (at opening, or later through SEND), as label and value pairs.
  function showConsumerInfo(rows) {
    const list = root.querySelector("[data-role=consumer-info]");
    const items = rows.length ? rows : [["No consumer info", "The consumer sent no SDEs."]];
    list.replaceChildren(
      ...items.flatMap(([label, value]) => {
        const term = document.createElement("dt");
        term.textContent = label;
        const detail = document.createElement("dd");
        detail.textContent = value;
        return [term, detail];
      }),
    );
  }

  function showConversation(conversation) {
    root.querySelector("[data-role=state]").textContent = conversation.state;
    root.querySelector("[data-role=stage]").textContent = conversation.stage;
    root.querySelector("[data-role=mode]").textContent = MODE_LABELS[conversation.agentMode] || conversation.agentMode;
    root.querySelector("[data-role=skill]").textContent = conversation.skillId;
    root.querySelector("[data-role=ttr]").textContent = conversation.ttrType;
    showConsumerInfo(conversation.consumerInfo || []);
    const assignment = root.querySelector("[data-role=assignment]");
    assignment.textContent = conversation.assignedAgentId ? "assigned to " : "waiting in the queue";
    if (conversation.assignedAgentId) {
      const agentId = document.createElement("code");
      agentId.textContent = conversation.assignedAgentId;
      assignment.append(agentId);
    }
    const human = conversation.agentMode === "human";
    modeForm.querySelector("input[name=mode]").value = human ? "scripted" : "human";
    modeForm.querySelector("button").textContent = human ? "Hand back to the script" : "Take over";
  }

  function receive(events) {
    events.forEach((event) => {
      if (event.id <= lastId) return;
      tbody.append(row(event));
      lastId = event.id;
      // Any chat state of the consumer but COMPOSING ends "typing" (docs/LIVEPERSON.md, 'Chat states and accept statuses').
      if (event.role === "CONSUMER" && event.event.type === "ChatStateEvent") {
        typing.hidden = event.event.chatState !== "COMPOSING";
      } else if (event.role === "CONSUMER" && event.event.type === "ContentEvent") {
        typing.hidden = true;
      }
    });
  }

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const response = await fetch(`${root.dataset.eventsUrl}?after=${encodeURIComponent(lastId)}`, {
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        showConversation(data.conversation);
        receive(data.events);
      }
    } catch (error) {
      say("Cannot reach the server; retrying.");
    } finally {
      polling = false;
    }
  }

  async function submit(form) {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      say(data.error || `The server answered ${response.status}.`);
      return;
    }
    say("");
    if (["reply", "private-note", "transfer"].includes(form.dataset.role)) form.reset();
    if (data.conversation) showConversation(data.conversation);
    poll();
  }

  root.querySelectorAll("form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form).catch(() => say("Cannot reach the server."));
    });
  });

  window.setInterval(poll, pollMs);
})();
