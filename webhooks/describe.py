"""What one stored change is, in words a developer reads at a glance: who made it
(consumer, agent, controller or system) and a one-line summary. The events list,
a delivery's detail and the conversation timeline all say it this way.

The roles are those of a messaging change's `originatorMetadata.role`
(docs/LIVEPERSON.md, 'Webhooks Events'); an ExConversation change (UPSERT,
DELETE) is the conversation's own state, so it comes from the system.
"""

from dataclasses import dataclass

SENDERS = ("consumer", "agent", "controller", "system")
_ROLE_SENDERS = {
    "CONSUMER": "consumer",
    "ASSIGNED_AGENT": "agent",
    "AGENT": "agent",
    "MANAGER": "agent",
    "READER": "agent",
    "CONTROLLER": "controller",
}
# Enough for any line the pages show; the page clips it to the width it has.
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class Described:
    sender: str  # one of SENDERS
    role: str  # LivePerson's role as sent ("" when none): the sender's tooltip
    summary: str


def describe(event_type: str, payload) -> Described:
    """Who made the change and what it says, from its stored payload."""
    role = originator_role(payload)
    return Described(
        sender=_ROLE_SENDERS.get(role, "system"), role=role, summary=summary(event_type, payload)
    )


def originator_role(payload) -> str:
    """`originatorMetadata.role` of a messaging change ("" when it has none)."""
    metadata = _object(payload, "originatorMetadata")
    role = metadata.get("role")
    return role if isinstance(role, str) else ""


def summary(event_type: str, payload) -> str:
    """One line about a change: the text, "READ 3,4", "COMPOSING", "state CLOSE"…"""
    if not isinstance(payload, dict):
        return ""
    event = _object(payload, "event")
    text = ""
    if event_type == "ContentEvent":
        text = _content(event)
    elif event_type == "RichContentEvent":
        text = "rich content"
    elif event_type == "AcceptStatusEvent":
        sequences = event.get("sequenceList") if isinstance(event.get("sequenceList"), list) else []
        text = f"{event.get('status', '')} {','.join(str(s) for s in sequences)}".strip()
    elif event_type == "ChatStateEvent":
        text = str(event.get("chatState") or "")
    elif event_type in ("UPSERT", "DELETE"):
        details = _object(_object(payload, "result"), "conversationDetails")
        text = " · ".join(f"{key} {details[key]}" for key in ("state", "stage") if details.get(key))
    return _one_line(text)


def _content(event: dict) -> str:
    if event.get("contentType") == "text/plain":
        return event["message"] if isinstance(event.get("message"), str) else ""
    return str(event.get("contentType") or "")


def _object(value, key: str) -> dict:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"
