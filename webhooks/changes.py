"""What the agent's side did, read from a conversation's ExConversation changes
(docs/LIVEPERSON.md, 'Agent-side changes'): assignment, transfer to another skill,
back to the queue, resume, a new time to respond, the survey's CSAT and FCR answers,
and who closed it.

LivePerson sends no event for these: each change carries the complete
conversation, so what happened is the difference from the change before.
`ChangeNotes` keeps that "before" for one conversation, for whoever shows its
events in order (the timeline page, the demo chat's socket); `notes_until`
feeds it a conversation's stored changes up to where the caller starts showing.
"""

from dataclasses import dataclass, field

from webhooks.models import Event
from webhooks.notifications import CONVERSATION_CHANGE

UPSERT = "UPSERT"
# The earlier changes read to know what came before: a conversation has a few dozen at most;
# the bound keeps a pathological one from costing more (older ones only miss "resumed").
EARLIER_CHANGES_LIMIT = 200
CLOSED_BY = {
    "AGENT": "Closed by the agent.",
    "CONSUMER": "Closed by the consumer.",
    "SYSTEM": "Closed by the system.",
}


def conversation_details(payload) -> dict | None:
    """The `conversationDetails` of an ExConversation UPSERT change, or None."""
    if not isinstance(payload, dict) or payload.get("type", UPSERT) != UPSERT:
        return None
    result = payload.get("result")
    details = result.get("conversationDetails") if isinstance(result, dict) else None
    return details if isinstance(details, dict) else None


@dataclass
class ChangeNotes:
    """The notes of each change of one conversation, fed in the order they are shown."""

    previous: dict | None = None
    agents_seen: set[str] = field(default_factory=set)

    def notes(self, payload) -> list[str]:
        """Sentences for what changed since the previous change; [] for anything else.

        Changes are not delivered in order (docs/WEBHOOKS.md): one older than the
        previous (by metaDataLastUpdateTs) says nothing and is not remembered.
        Equal timestamps are distinct changes (LivePerson promises no uniqueness).
        """
        details = conversation_details(payload)
        if details is None or _updated_ts(details) < _updated_ts(self.previous or {}):
            return []
        before = self.previous
        self.previous = details
        notes = _notes(before, details, seen=self.agents_seen)
        agent = _assigned_agent(details)
        if agent:
            self.agents_seen.add(agent)
        return notes


def notes_until(*, conversation_id: int, seq: int) -> ChangeNotes:
    """A ChangeNotes that has seen the conversation's changes up to event `seq`."""
    earlier = (
        Event.objects.filter(
            conversation_id=conversation_id, notification_type=CONVERSATION_CHANGE, seq__lte=seq
        )
        .order_by("-seq")
        .values_list("payload", flat=True)[:EARLIER_CHANGES_LIMIT]
    )
    tracker = ChangeNotes()
    for payload in reversed(list(earlier)):
        tracker.notes(payload)
    return tracker


def annotated(tracker: ChangeNotes, events: list[dict]) -> list[dict]:
    """Socket messages (Event.as_message()) in seq order, each ExConversation change with
    its `notes` (copies: the originals may be shared)."""
    shown = []
    for event in events:
        if event.get("notification_type") == CONVERSATION_CHANGE:
            event = {**event, "notes": tracker.notes(event.get("payload"))}
        shown.append(event)
    return shown


def _notes(before: dict | None, now: dict, *, seen: set[str]) -> list[str]:
    before = before or {}
    notes = []
    agent_before, agent_now = _assigned_agent(before), _assigned_agent(now)
    skill_changed = bool(before) and _text(now.get("skillId")) != _text(before.get("skillId"))
    if skill_changed:
        waiting = "; waiting for an agent" if agent_before and not agent_now else ""
        notes.append(f"Transferred to skill {_text(now.get('skillId'))}{waiting}.")
    if agent_now and agent_now != agent_before:
        notes.append(_joined(agent_before, agent_now, seen))
    elif agent_before and not agent_now and not skill_changed and now.get("state") != "CLOSE":
        notes.append("Back in the queue; waiting for an agent.")
    if before and _ttr_type(now) and _ttr_type(now) != _ttr_type(before):
        notes.append(_ttr_note(now))
    if isinstance(now.get("csat"), dict) and not isinstance(before.get("csat"), dict):
        notes.append(_csat_note(now["csat"]))
    if now.get("state") == "CLOSE" and before.get("state") != "CLOSE":
        reason = _text(now.get("closeReason"))
        notes.append(CLOSED_BY.get(reason, f"Closed ({reason})." if reason else "Closed."))
    return notes


def _joined(agent_before: str, agent_now: str, seen: set[str]) -> str:
    if agent_before:
        return "Another agent took over."
    if agent_now in seen:
        return "The agent resumed the conversation."
    return "An agent joined the conversation."


def _csat_note(csat: dict) -> str:
    """The survey's answers: CSAT (1 to 5) and FCR (the issue resolved at first contact)."""
    parts = []
    rate = csat.get("csatRate")
    if isinstance(rate, int) and not isinstance(rate, bool):
        parts.append(f"CSAT {rate} of 5")
    resolved = csat.get("csatResolutionConfirmation")
    if isinstance(resolved, bool):
        parts.append(f"issue resolved: {'yes' if resolved else 'no'}")
    if _text(csat.get("status")) == "SKIPPED" or not parts:
        return "Survey skipped."
    return f"Survey answers: {', '.join(parts)}."


def _ttr_note(details: dict) -> str:
    ttr = details["ttr"]
    value = ttr.get("value")
    seconds = f", {value} s" if isinstance(value, int) and not isinstance(value, bool) else ""
    return f"Time to respond: {_ttr_type(details)}{seconds}."


def _assigned_agent(details: dict) -> str:
    participants = details.get("participants")
    for participant in participants if isinstance(participants, list) else []:
        if isinstance(participant, dict) and participant.get("role") == "ASSIGNED_AGENT":
            return _text(participant.get("id")) or "?"
    return ""


def _ttr_type(details: dict) -> str:
    ttr = details.get("ttr")
    return _text(ttr.get("ttrType")) if isinstance(ttr, dict) else ""


def _updated_ts(details: dict) -> int:
    value = details.get("metaDataLastUpdateTs")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
