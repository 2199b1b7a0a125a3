"""The sandbox agent page's side of a conversation: a person acting as the agent.

What the person does goes through sandbox.messaging like everything else, as
the ASSIGNED_AGENT, so the app sees exactly what a LivePerson agent's workspace
would send. Taking a conversation over stops the scripted agent (sandbox.agent);
handing it back lets the script answer the consumer's next message.
"""

import re
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import QuerySet

from sandbox import agent, messaging, swift
from sandbox.models import Dialog, MessagingConversation, MessagingEvent

CLOSED_BY_AGENT = "Closed by agent"
AGENT_CHAT_STATES = {"COMPOSING", "ACTIVE", "PAUSE"}
TRANSCRIPT_LIMIT = 500
# Skill ids are LivePerson's numeric ids (a long); the model keeps up to 32 characters.
SKILL_ID = re.compile(r"[0-9]{1,19}")
SAMPLE_CAPTION = "Sandbox sample image"
# Where each SDE type keeps its values (developer-center assets/schema/userprofile/*.json),
# and how much of a profile the page shows.
SDE_VALUES = {"ctmrinfo": "info", "personal": "personal"}
CONSUMER_INFO_ROWS = 50
CONSUMER_INFO_CHARS = 200


class AgentDeskError(Exception):
    """What the person asked for cannot be done (the conversation moved on)."""


# --- Reading --------------------------------------------------------------------


def conversations_open() -> QuerySet:
    """Conversations of every sandbox account that are not over (a survey counts)."""
    return (
        MessagingConversation.objects.filter(stage="OPEN")
        .select_related("account", "consumer", "installation")
        .order_by("-start_ts")
    )


def started_at(conversation: MessagingConversation) -> datetime:
    return datetime.fromtimestamp(conversation.start_ts / 1000, tz=UTC)


def conversation_get(conversation_id: str) -> MessagingConversation | None:
    return (
        MessagingConversation.objects.select_related("account", "consumer", "installation")
        .filter(conversation_id=conversation_id)
        .first()
    )


def transcript(conversation: MessagingConversation, *, after: int = 0) -> dict:
    """The conversation's state and its events stored after event id `after`, for polling."""
    events = (
        conversation.events.filter(pk__gt=after).select_related("dialog").order_by("pk")[:TRANSCRIPT_LIMIT]
    )
    return {
        "conversation": conversation_state(conversation),
        "events": [event_json(record) for record in events],
    }


def conversation_state(conversation: MessagingConversation) -> dict:
    return {
        "conversationId": conversation.conversation_id,
        "state": conversation.state,
        "stage": conversation.stage,
        "agentMode": conversation.agent_mode,
        "assignedAgentId": conversation.assigned_agent_id,
        "skillId": conversation.skill_id,
        "ttrType": conversation.ttr_type or "NORMAL",
        "consumerInfo": consumer_info(conversation),
        "mainDialogOpen": conversation.dialogs.filter(dialog_type=Dialog.Type.MAIN, state="OPEN").exists(),
    }


def consumer_info(conversation: MessagingConversation) -> list[tuple[str, str]]:
    """What the agent's Consumer Info widget shows: the SetUserProfile name and the Customer
    Info and Personal Info SDEs of `authenticatedData.lp_sdes`, as the consumer last set them
    (at opening, or later through SEND: docs/LIVEPERSON.md, 'Consumer info (SDEs)')."""
    profile = conversation.consumer_profile if isinstance(conversation.consumer_profile, dict) else {}
    rows = [("Name", " ".join(str(profile.get(k) or "") for k in ("firstName", "lastName")).strip())]
    authenticated = profile.get("authenticatedData")
    sdes = authenticated.get("lp_sdes") if isinstance(authenticated, dict) else None
    for sde in sdes if isinstance(sdes, list) else []:
        if isinstance(sde, dict) and sde.get("type") in SDE_VALUES:
            values = sde.get(SDE_VALUES[sde["type"]])
            rows += _sde_rows(sde["type"], values if isinstance(values, dict) else {})
    return [(label, value) for label, value in rows if value][:CONSUMER_INFO_ROWS]


def _sde_rows(kind: str, values: dict, prefix: str = "") -> list[tuple[str, str]]:
    """One row per value, nested objects and lists flattened (personal.contacts[0].email)."""
    rows = []
    for key, value in values.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _sde_rows(kind, value, f"{label}.")
        elif isinstance(value, list):
            for index, item in enumerate(value[:CONSUMER_INFO_ROWS]):
                rows += _sde_rows(kind, item if isinstance(item, dict) else {"": item}, f"{label}[{index}].")
        else:
            rows.append((f"{kind}.{label}".rstrip("."), str(value)[:CONSUMER_INFO_CHARS]))
    return rows


def event_json(record: MessagingEvent) -> dict:
    return {
        "id": record.pk,
        "sequence": record.sequence,
        "role": record.role,
        "originatorId": record.originator_id,
        "dialogType": record.dialog.dialog_type,
        "audience": record.audience,
        "serverTimestamp": record.server_timestamp,
        "summary": event_summary(record.event),
        "event": record.event,
        "metadata": record.metadata,
    }


def event_summary(event: dict) -> str:
    """One line for a person: the text, the file, the receipt or the chat state."""
    kind = event.get("type")
    message = event.get("message")
    if kind == "ContentEvent" and isinstance(message, dict):
        return f"File: {message.get('caption') or message.get('relativePath') or ''}"
    if kind == "ContentEvent":
        return str(message or "")
    if kind == "RichContentEvent":
        return "Rich content"
    if kind == "AcceptStatusEvent":
        sequences = ", ".join(str(s) for s in event.get("sequenceList") or [])
        return f"{event.get('status', '')} [{sequences}]"
    if kind == "ChatStateEvent":
        return str(event.get("chatState", ""))
    return str(kind or "")


# --- Acting as the agent ------------------------------------------------------------


@transaction.atomic
def agent_send_text(*, conversation_id: str, text: str) -> MessagingEvent:
    """The person's reply, as the assigned agent, in the MAIN dialog."""
    text = text.strip()
    if not text:
        raise AgentDeskError("Write something first.")
    conversation, dialog = _locked_main(conversation_id)
    return _publish(conversation, dialog, agent.text_event(text))


@transaction.atomic
def agent_send_private_note(*, conversation_id: str, text: str) -> MessagingEvent:
    """A note for agents and managers only, in the MAIN dialog: LivePerson marks it
    `messageAudience: AGENTS_AND_MANAGERS` and still sends it to the app's webhooks,
    whose consumer side must never show it (docs/LIVEPERSON.md, 'Private messages')."""
    text = text.strip()
    if not text:
        raise AgentDeskError("Write something first.")
    conversation, dialog = _locked_main(conversation_id)
    return _publish(conversation, dialog, agent.text_event(text), audience=messaging.AUDIENCE_PRIVATE)


@transaction.atomic
def agent_chat_state(*, conversation_id: str, chat_state: str) -> MessagingEvent:
    """Typing (COMPOSING) or not (ACTIVE, PAUSE), as the assigned agent."""
    if chat_state not in AGENT_CHAT_STATES:
        raise AgentDeskError(f"Unknown chat state {chat_state}.")
    conversation, dialog = _locked_main(conversation_id)
    return _publish(conversation, dialog, {"type": "ChatStateEvent", "chatState": chat_state})


@transaction.atomic
def agent_mark_read(*, conversation_id: str) -> MessagingEvent | None:
    """READ for every consumer message of the MAIN dialog not yet read; None if none."""
    conversation, dialog = _locked_main(conversation_id)
    unread = unread_sequences(dialog)
    if not unread:
        return None
    return _publish(
        conversation, dialog, {"type": "AcceptStatusEvent", "status": "READ", "sequenceList": unread}
    )


def unread_sequences(dialog: Dialog) -> list[int]:
    received = dialog.events.filter(role="CONSUMER", event__type="ContentEvent").values_list(
        "sequence", flat=True
    )
    read = set()
    receipts = dialog.events.filter(role="ASSIGNED_AGENT", event__type="AcceptStatusEvent")
    for event in receipts.values_list("event", flat=True):
        if event.get("status") == "READ":
            read.update(event.get("sequenceList") or [])
    return [sequence for sequence in received if sequence not in read]


@transaction.atomic
def agent_close(*, conversation_id: str) -> Dialog | None:
    """The agent ends the conversation: like LivePerson, a survey skill opens the survey."""
    conversation, _ = _locked_main(conversation_id)
    survey = messaging.close_main_dialog(conversation, cause=CLOSED_BY_AGENT, closed_by="AGENT")
    agent.react(conversation, trigger="survey_opened" if survey else "closed")
    return survey


@transaction.atomic
def agent_transfer(*, conversation_id: str, skill_id: str) -> MessagingConversation:
    """Transfer to another skill: the agent leaves and the conversation waits on the new
    skill (docs/LIVEPERSON.md, 'Agent-side changes'). The person stays in charge: the
    script does not pick it up behind their back."""
    skill_id = (skill_id or "").strip()
    if not SKILL_ID.fullmatch(skill_id):
        raise AgentDeskError("A skill id is a number of up to 19 digits.")
    conversation, _ = _locked_main(conversation_id)
    if skill_id == conversation.skill_id:
        raise AgentDeskError(f"The conversation is on skill {skill_id} already.")
    _person_in_charge(conversation)
    messaging.transfer_to_skill(conversation, skill_id)
    return conversation


@transaction.atomic
def agent_back_to_queue(*, conversation_id: str) -> MessagingConversation:
    """The agent hands the conversation back to the queue of its skill."""
    conversation, _ = _locked_main(conversation_id)
    if not conversation.assigned_agent_id:
        raise AgentDeskError("The conversation is in the queue already.")
    _person_in_charge(conversation)
    messaging.unassign_agent(conversation)
    return conversation


@transaction.atomic
def agent_resume(*, conversation_id: str) -> MessagingConversation:
    """An agent takes a waiting conversation from the queue and resumes it."""
    conversation, _ = _locked_main(conversation_id)
    if conversation.assigned_agent_id:
        raise AgentDeskError("An agent has the conversation already.")
    _person_in_charge(conversation)
    messaging.assign_agent(conversation)
    return conversation


@transaction.atomic
def agent_send_file(*, conversation_id: str) -> MessagingEvent:
    """A hosted/file ContentEvent of the assigned agent with the sandbox's sample image,
    stored in swift like a consumer's upload (docs/LIVEPERSON.md, 'Send API: file sharing').
    Refused where the account's file sharing is off, as the workspace would."""
    conversation, dialog = _locked_main(conversation_id)
    if not conversation.account.file_sharing:
        raise AgentDeskError("File sharing is off for this account (messaging.file.sharing.enabled).")
    stored = swift.sample_file_store(account=conversation.account)
    event = {
        "type": "ContentEvent",
        "contentType": "hosted/file",
        "message": {
            "caption": SAMPLE_CAPTION,
            "relativePath": stored.relative_path,
            "fileType": stored.file_type,
            "preview": swift.sample_preview(),
        },
    }
    return _publish(conversation, dialog, event)


def _person_in_charge(conversation: MessagingConversation) -> None:
    """Whoever acts on the agent page answers from now on: the script's plans are dropped."""
    agent.tasks_cancel(conversation, kinds=agent.AGENT_KINDS)
    if conversation.agent_mode != MessagingConversation.AgentMode.HUMAN:
        conversation.agent_mode = MessagingConversation.AgentMode.HUMAN
        conversation.save(update_fields=["agent_mode"])


@transaction.atomic
def agent_mode_set(*, conversation_id: str, mode: str) -> MessagingConversation:
    """Take the conversation over (human) or hand it back to the script (scripted)."""
    if mode not in MessagingConversation.AgentMode.values:
        raise AgentDeskError(f"Unknown agent mode {mode}.")
    conversation = _locked(conversation_id)
    if mode == MessagingConversation.AgentMode.HUMAN:
        # The script must not answer behind the person's back with what it had planned.
        agent.tasks_cancel(conversation, kinds=agent.AGENT_KINDS)
        if not conversation.assigned_agent_id and conversation.state == "OPEN":
            messaging.assign_agent(conversation)
    conversation.agent_mode = mode
    conversation.save(update_fields=["agent_mode"])
    return conversation


def _locked(conversation_id: str) -> MessagingConversation:
    conversation = messaging.conversation_locked(conversation_id)
    if conversation is None:
        raise AgentDeskError("No such conversation.")
    return conversation


def _locked_main(conversation_id: str) -> tuple[MessagingConversation, Dialog]:
    """The conversation, locked, and its MAIN dialog, which must still be open."""
    conversation = _locked(conversation_id)
    dialog = messaging.main_dialog(conversation)
    if dialog.state != "OPEN":
        raise AgentDeskError("The conversation is closed.")
    return conversation, dialog


def _publish(
    conversation: MessagingConversation,
    dialog: Dialog,
    event: dict,
    *,
    audience: str = messaging.AUDIENCE_ALL,
) -> MessagingEvent:
    if not conversation.assigned_agent_id:
        messaging.assign_agent(conversation)
    return messaging.publish(
        conversation,
        dialog,
        role="ASSIGNED_AGENT",
        originator_id=conversation.assigned_agent_id,
        event=event,
        audience=audience,
    )
