"""The sandbox's messaging core: conversations, dialogs and their events, and the
webhook notifications each change produces (docs/LIVEPERSON.md: the 'Send API' sections,
'Post-conversation survey' and 'Webhooks').

Everything that changes a conversation goes through here, whoever causes it
(the Send API, the scripted agent, a person on the agent page), so that the
sequence numbers, the stored history and the webhook outbox always agree.
Callers hold a transaction; notifications are only queued here and delivered
later by the dispatcher in the worker, never inside the causing request.
"""

import json
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from sandbox.models import Consumer, Dialog, Installation, MessagingConversation, MessagingEvent, Notification

MESSAGING_NOTIFICATION = "ms.MessagingEventNotification"
CONVERSATION_NOTIFICATION = "cqm.ExConversationChangeNotification"
# The installation page's table's name for it (docs/LIVEPERSON.md, 'Installation JSON').
CONVERSATION_NOTIFICATION_ALIAS = f"{MESSAGING_NOTIFICATION}.ExConversationChangeNotification"
# Events that take a sequence number; chat states are ephemeral and take none.
SEQUENCED_EVENTS = {"ContentEvent", "RichContentEvent", "AcceptStatusEvent"}
EVENT_TYPES = SEQUENCED_EVENTS | {"ChatStateEvent"}
# Who may see an event (docs/LIVEPERSON.md, 'Private messages'): everyone, or only agents
# and managers (an agent's private note, which the consumer must never see).
AUDIENCE_ALL = "ALL"
AUDIENCE_PRIVATE = "AGENTS_AND_MANAGERS"

# What a post-conversation survey needs (docs/LIVEPERSON.md, 'Post-conversation survey');
# structured content needs RICH_CONTENT and quick replies QUICK_REPLIES ('Features').
SURVEY_FEATURES = ("RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG")
RICH_CONTENT = "RICH_CONTENT"
QUICK_REPLIES = "QUICK_REPLIES"
AUTO_MESSAGES = "AUTO_MESSAGES"

# A stable pretend agent for the scripted agent and the agent page.
SANDBOX_AGENT_ID = "90000001.1000000003"
CONTROLLER_ID = "sandbox-controller-bot"
SURVEY_BOT_ID = "sandbox-survey-bot"
NOT_RECOGNISED = "the app is not recognised by Webhooks yet (webhook activation)"


def now_ms() -> int:
    return int(time.time() * 1000)


def _next_update_ts(conversation: MessagingConversation) -> int:
    """The metaDataLastUpdateTs of a change (docs/LIVEPERSON.md, 'Conversation changes'):
    the clock's milliseconds, never going back, so that two changes in one millisecond
    share it, which LivePerson does not rule out; an account with update_ts "unique" gets
    one later than the previous even then."""
    if conversation.account.update_ts == "unique":
        return max(now_ms(), conversation.meta_updated_ts + 1)
    return max(now_ms(), conversation.meta_updated_ts)


# --- Opening ------------------------------------------------------------------


@transaction.atomic
def conversation_open(
    *,
    consumer: Consumer,
    installation: Installation | None,
    skill_id: str = "-1",
    campaign_id: str = "",
    engagement_id: str = "",
    ttr_type: str = "",
    features: list[str] | None = None,
    profile: dict | None = None,
) -> MessagingConversation:
    """A new conversation with its MAIN dialog (dialogId = conversationId), announced
    to the app with an ExConversation UPSERT."""
    ts = now_ms()
    conversation = MessagingConversation.objects.create(
        account=consumer.account,
        installation=installation,
        consumer=consumer,
        conversation_id=str(uuid.uuid4()),
        skill_id=skill_id or "-1",
        campaign_id=campaign_id,
        engagement_id=engagement_id,
        ttr_type=ttr_type or "",
        features=list(features or []),
        consumer_profile=profile or {},
        start_ts=ts,
        meta_updated_ts=ts,
    )
    Dialog.objects.create(
        conversation=conversation,
        dialog_id=conversation.conversation_id,
        dialog_type=Dialog.Type.MAIN,
        creation_ts=ts,
        meta_updated_ts=ts,
    )
    conversation_changed(conversation)
    return conversation


def conversation_locked(conversation_id: str) -> MessagingConversation | None:
    """The conversation, row-locked so that sequence numbers are handed out in order."""
    # Lock only this row: PostgreSQL refuses FOR UPDATE on the outer join to a NULL installation.
    return (
        MessagingConversation.objects.select_for_update(of=("self",))
        .select_related("account", "consumer", "installation")
        .filter(conversation_id=conversation_id)
        .first()
    )


# --- Messaging events -----------------------------------------------------------


def publish(
    conversation: MessagingConversation,
    dialog: Dialog,
    *,
    role: str,
    originator_id: str,
    event: dict,
    metadata: list | None = None,
    client_properties: dict | None = None,
    audience: str = AUDIENCE_ALL,
) -> MessagingEvent:
    """Store one messaging event and queue its webhook notification.

    The caller holds the conversation row lock (`conversation_locked`) inside a
    transaction. Returns the stored event; `event.sequence` is what the Send API
    answers in `body.sequence`.
    """
    sequence = _next_sequence(conversation, dialog) if event.get("type") in SEQUENCED_EVENTS else None
    record = MessagingEvent.objects.create(
        conversation=conversation,
        dialog=dialog,
        sequence=sequence,
        originator_id=originator_id,
        role=role,
        event=event,
        metadata=metadata or None,
        client_properties=client_properties,
        audience=audience,
        server_timestamp=now_ms(),
    )
    _queue(conversation, f"{MESSAGING_NOTIFICATION}.{event['type']}", _messaging_body(record))
    return record


def _next_sequence(conversation: MessagingConversation, dialog: Dialog) -> int:
    """The event's sequence (docs/LIVEPERSON.md, 'Sequences'): by default each dialog
    numbers its own events from 0, so the survey dialog starts again, as in the survey
    tutorial; an account with sequence_scope "conversation" numbers the whole conversation."""
    if conversation.account.sequence_scope == "conversation":
        last = conversation.dialogs.aggregate(last=Max("last_sequence"))["last"]
        Dialog.objects.filter(pk=dialog.pk).update(last_sequence=last + 1)
    else:
        # An UPDATE that counts from the stored value: the caller's Dialog may be older.
        Dialog.objects.filter(pk=dialog.pk).update(last_sequence=F("last_sequence") + 1)
    dialog.refresh_from_db(fields=["last_sequence"])
    return dialog.last_sequence


def _messaging_body(record: MessagingEvent) -> dict:
    """A messaging notification with one change (docs/LIVEPERSON.md, 'Webhooks')."""
    change = {}
    if record.sequence is not None:
        change["sequence"] = record.sequence
    change["originatorId"] = record.originator_id
    metadata = {"id": record.originator_id, "role": record.role}
    if record.client_properties:
        metadata["clientProperties"] = record.client_properties
        change["originatorClientProperties"] = record.client_properties
    change["originatorMetadata"] = metadata
    if record.event.get("type") != "ChatStateEvent":
        change["serverTimestamp"] = record.server_timestamp
    change["event"] = record.event
    change["conversationId"] = record.conversation.conversation_id
    change["dialogId"] = record.dialog.dialog_id
    change["messageAudience"] = record.audience
    if record.metadata:
        change["metadata"] = record.metadata
    return {"kind": "notification", "type": MESSAGING_NOTIFICATION, "body": {"changes": [change]}}


# --- Conversation changes ---------------------------------------------------------


def conversation_changed(
    conversation: MessagingConversation, *, change_type: str = "UPSERT", csat: dict | None = None
) -> None:
    """Queue an ExConversationChangeNotification with the conversation as it is now
    (with the survey's `csat` on the change that completes it)."""
    result = conversation_result(conversation, csat=csat)
    body = {
        "kind": "notification",
        "type": CONVERSATION_NOTIFICATION,
        "body": {"changes": [{"type": change_type, "result": result}]},
    }
    _queue(conversation, CONVERSATION_NOTIFICATION, body)


def conversation_result(conversation: MessagingConversation, *, csat: dict | None = None) -> dict:
    """The `result` of an ExConversation change (docs/LIVEPERSON.md, 'Webhooks')."""
    consumer_id = conversation.consumer.lp_consumer_id
    participants = [{"id": CONTROLLER_ID, "role": "CONTROLLER"}, {"id": consumer_id, "role": "CONSUMER"}]
    if conversation.assigned_agent_id:
        participants.append({"id": conversation.assigned_agent_id, "role": "ASSIGNED_AGENT"})
    details = {
        "skillId": conversation.skill_id,
        "participants": participants,
        "dialogs": [_dialog_json(dialog, consumer_id) for dialog in conversation.dialogs.all()],
        "brandId": conversation.account.account_id,
        "state": conversation.state,
        "stage": conversation.stage,
        "startTs": conversation.start_ts,
        "metaDataLastUpdateTs": conversation.meta_updated_ts,
        "ttr": {"ttrType": conversation.ttr_type or "NORMAL", "value": 3600},
        # Where the conversation is routed now: LivePerson's notifications carry it next
        # to skillId (docs/LIVEPERSON.md, 'Agent-side changes').
        "conversationHandlerDetails": {
            "accountId": conversation.account.account_id,
            "skillId": conversation.skill_id,
        },
    }
    if csat:
        details["csat"] = csat  # docs/LIVEPERSON.md, 'Post-conversation survey'
    if conversation.close_reason:
        details["closeReason"] = conversation.close_reason
    if conversation.end_ts != -1:
        details["endTs"] = conversation.end_ts
    return {"convId": conversation.conversation_id, "effectiveTTR": -1, "conversationDetails": details}


def _dialog_json(dialog: Dialog, consumer_id: str) -> dict:
    data = {
        "dialogId": dialog.dialog_id,
        "participantsDetails": [{"id": consumer_id, "role": "CONSUMER"}],
        "dialogType": dialog.dialog_type,
        "channelType": "MESSAGING",
        "state": dialog.state,
        "creationTs": dialog.creation_ts,
        "metaDataLastUpdateTs": dialog.meta_updated_ts,
    }
    if dialog.dialog_type == Dialog.Type.POST_SURVEY and dialog.conversation.installation_id:
        data["metaData"] = {"appInstallId": dialog.conversation.installation.client_id}
    if dialog.state == "CLOSE":
        data.update(endTs=dialog.end_ts, closedBy=dialog.closed_by, closedCause=dialog.closed_cause)
    return data


# --- Agents, closing, the survey (docs/LIVEPERSON.md, 'Post-conversation survey') ---


def main_dialog(conversation: MessagingConversation) -> Dialog:
    return conversation.dialogs.get(dialog_type=Dialog.Type.MAIN)


def open_dialog(conversation: MessagingConversation) -> Dialog | None:
    """The dialog events go to now: the survey once it is open, else MAIN if open."""
    return conversation.dialogs.filter(state="OPEN").order_by("-id").first()


def assign_agent(conversation: MessagingConversation, agent_id: str = SANDBOX_AGENT_ID) -> None:
    """An agent takes the conversation: participants gain an ASSIGNED_AGENT."""
    conversation.assigned_agent_id = agent_id
    conversation.meta_updated_ts = _next_update_ts(conversation)
    conversation.save(update_fields=["assigned_agent_id", "meta_updated_ts"])
    conversation_changed(conversation)


def unassign_agent(conversation: MessagingConversation) -> None:
    """Back to the queue (ParticipantsChange REMOVE ASSIGNED_AGENT): the conversation
    waits, on its skill, for an agent (docs/LIVEPERSON.md, 'Agent-side changes')."""
    conversation.assigned_agent_id = ""
    conversation.meta_updated_ts = _next_update_ts(conversation)
    conversation.save(update_fields=["assigned_agent_id", "meta_updated_ts"])
    conversation_changed(conversation)


def transfer_to_skill(conversation: MessagingConversation, skill_id: str) -> None:
    """Transfer (ParticipantsChange REMOVE ASSIGNED_AGENT with Skill UPDATE, in one
    request): the agent leaves and the conversation waits on the new skill, which is
    now its last skill (the one that decides the survey). One ExConversation change."""
    conversation.assigned_agent_id = ""
    conversation.skill_id = skill_id
    conversation.meta_updated_ts = _next_update_ts(conversation)
    conversation.save(update_fields=["assigned_agent_id", "skill_id", "meta_updated_ts"])
    conversation_changed(conversation)


def close_conversation(conversation: MessagingConversation, *, closed_by: str, cause: str) -> None:
    """Close every dialog and the conversation (ConversationStateField or Stage CLOSE).

    `closed_by` is CONSUMER, AGENT or SYSTEM, as LivePerson reports it.
    """
    ts = _next_update_ts(conversation)
    for dialog in conversation.dialogs.filter(state="OPEN"):
        _close_dialog(dialog, closed_by=closed_by, cause=cause, ts=ts)
    conversation.state = conversation.stage = "CLOSE"
    conversation.close_reason = closed_by
    conversation.end_ts = conversation.meta_updated_ts = ts
    conversation.save(update_fields=["state", "stage", "close_reason", "end_ts", "meta_updated_ts"])
    conversation_changed(conversation)


def close_main_dialog(
    conversation: MessagingConversation, *, cause: str, closed_by: str = "CONSUMER"
) -> Dialog | None:
    """The consumer (DialogChange) or the agent closes the MAIN dialog. When the
    conversation's skill has a survey, a POST_SURVEY dialog opens and is returned:
    state is CLOSE, stage stays OPEN. Otherwise the whole conversation closes and
    None is returned."""
    if not survey_applies(conversation):
        close_conversation(conversation, closed_by=closed_by, cause=cause)
        return None
    ts = _next_update_ts(conversation)
    _close_dialog(main_dialog(conversation), closed_by=closed_by, cause=cause, ts=ts)
    survey = Dialog.objects.create(
        conversation=conversation,
        dialog_id=str(uuid.uuid4()),
        dialog_type=Dialog.Type.POST_SURVEY,
        creation_ts=ts,
        meta_updated_ts=ts,
    )
    conversation.state = "CLOSE"
    conversation.meta_updated_ts = ts
    conversation.save(update_fields=["state", "meta_updated_ts"])
    conversation_changed(conversation)
    return survey


def as_delivered(conversation: MessagingConversation, event: dict) -> dict | None:
    """An agent's event as it reaches a consumer with the conversation's features
    (docs/LIVEPERSON.md, 'Features'): structured content without RICH_CONTENT never
    arrives (None); quick replies without QUICK_REPLIES are left off the message."""
    features = set(conversation.features or [])
    if event.get("type") == "RichContentEvent" and RICH_CONTENT not in features:
        return None
    if "quickReplies" in event and QUICK_REPLIES not in features:
        event = {key: value for key, value in event.items() if key != "quickReplies"}
    return event


def survey_applies(conversation: MessagingConversation) -> bool:
    """Whether closing MAIN starts a survey (docs/LIVEPERSON.md, 'Post-conversation survey'):
    the skill has one, and the conversation has the features it needs; without them there
    is no survey dialog and the conversation just closes."""
    if conversation.skill_id not in (conversation.account.survey_skill_ids or []):
        return False
    return set(SURVEY_FEATURES) <= set(conversation.features or [])


def ttr_change(conversation: MessagingConversation, ttr_type: str) -> None:
    """TTRField: a new time-to-respond type, announced like every conversation change."""
    conversation.ttr_type = ttr_type
    conversation.meta_updated_ts = _next_update_ts(conversation)
    conversation.save(update_fields=["ttr_type", "meta_updated_ts"])
    conversation_changed(conversation)


def complete_survey(conversation: MessagingConversation, survey: Dialog, *, csat: dict | None = None) -> None:
    """The survey bot is done: POST_SURVEY closes (AGENT, Completed), and so does the stage;
    the change carries the consumer's answers as `csat`."""
    ts = _next_update_ts(conversation)
    _close_dialog(survey, closed_by="AGENT", cause="Completed", ts=ts)
    conversation.stage = "CLOSE"
    conversation.close_reason = conversation.close_reason or "CONSUMER"
    conversation.end_ts = conversation.meta_updated_ts = ts
    conversation.save(update_fields=["stage", "close_reason", "end_ts", "meta_updated_ts"])
    conversation_changed(conversation, csat=csat)


def _close_dialog(dialog: Dialog, *, closed_by: str, cause: str, ts: int) -> None:
    dialog.state = "CLOSE"
    dialog.closed_by = closed_by
    dialog.closed_cause = cause
    dialog.end_ts = dialog.meta_updated_ts = ts
    dialog.save(update_fields=["state", "closed_by", "closed_cause", "end_ts", "meta_updated_ts"])


# --- The outbox --------------------------------------------------------------------


def _queue(conversation: MessagingConversation, webhook: str, body: dict) -> Notification | None:
    """Queue a notification for the conversation's app, if it listens to `webhook`.

    Like LivePerson, only an enabled app with an endpoint for the type is called.
    The body is serialised once, with real (not escaped) unicode, and that text
    is what gets signed and posted.
    """
    installation = conversation.installation
    if installation is None or not webhook_endpoint(installation, webhook):
        return None
    notification = Notification(
        installation=installation,
        conversation_id=conversation.conversation_id,
        webhook=webhook,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    )
    if not webhooks_recognise(installation, conversation.account):
        # LivePerson calls none of its endpoints yet: kept as dropped, for the sandbox page.
        notification.status = Notification.Status.DROPPED
        notification.finished_at = timezone.now()
        notification.last_error = NOT_RECOGNISED
        notification.save()
        return notification
    notification.save()
    transaction.on_commit(_wake_worker)
    return notification


def webhooks_recognise(installation: Installation, account) -> bool:
    """Whether LivePerson's Webhooks knows the app yet: "it can take up to two minutes that
    your app was recognized by Webhooks" (docs/LIVEPERSON.md, 'Webhook activation'), here
    the account's `webhook_activation_seconds` after the app was installed."""
    delay = account.webhook_activation_seconds
    return not delay or timezone.now() >= installation.created_at + timedelta(seconds=delay)


def webhook_config(installation: Installation, webhook: str) -> dict | None:
    """The app's configuration for one webhook key, when it is enabled and set."""
    data = installation.data
    if installation.deleted or not data.get("enabled", False):
        return None
    webhooks = (data.get("capabilities") or {}).get("webhooks") or {}
    config = webhooks.get(webhook)
    if config is None and webhook == CONVERSATION_NOTIFICATION:
        config = webhooks.get(CONVERSATION_NOTIFICATION_ALIAS)
    return config if isinstance(config, dict) else None


def webhook_endpoint(installation: Installation, webhook: str) -> str:
    config = webhook_config(installation, webhook)
    return (config or {}).get("endpoint") or ""


def _wake_worker() -> None:
    """Tell the background worker there is work, if the worker app offers a wake-up."""
    try:
        from worker.wake import wake
    except ImportError:  # the worker polls anyway
        return
    wake()
