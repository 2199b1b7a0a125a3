"""The sandbox's scripted agent and survey bot (docs/LIVEPERSON.md, 'Send API: SEND' to
'Rich content and quick replies').

Two halves:

    react(conversation, *, trigger, record=None)

is called inside the transaction that changed the conversation, with the
conversation row locked. It does no agent work there (no sleeps, no HTTP): it
schedules AgentTask rows, each due after a small delay, like a person who reads
and types. Triggers: "opened" (after CONVERSATION), "consumer_event" (record =
the consumer's stored MessagingEvent), "survey_opened" (a POST_SURVEY dialog
just opened), "closed" (the conversation closed).

    run_due() -> int

is a worker job: it claims due tasks with worker.claims (a lease: concurrent
workers never share a task, and a crashed worker's tasks are taken over when the
lease expires) and carries each out through sandbox.messaging in the same
transaction that marks it done.

Everything the agent and the bot send is deterministic, so tests can assert it.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sandbox import messaging
from sandbox.models import AgentTask, Dialog, MessagingConversation, MessagingEvent
from worker import claims
from worker.wake import wake

logger = logging.getLogger(__name__)

TRIGGERS = ("opened", "consumer_event", "survey_opened", "closed")
# The scripted agent's tasks stop when a person takes the conversation over;
# the survey bot's do not: the survey is LivePerson's, not the agent's.
AGENT_KINDS = {"assign", "auto_message", "accept", "read", "chat_state", "reply"}
SURVEY_KINDS = {"survey_read", "survey_greeting", "survey_ask", "survey_complete"}

# How long a claim protects a task from other workers; a worker that dies
# holding one only delays it by this much. Tasks take milliseconds.
LEASE_SECONDS = 30.0
# Tasks per run: the worker runs its jobs in turn, so a big agent batch (each task
# is a transaction of its own) made the webhook dispatcher wait (bin/bench-chat showed echoes queued
# behind big batches: docs/PERFORMANCE.md).
CLAIM_BATCH = 10

# Seconds after the trigger, multiplied by SANDBOX_AGENT_DELAY_SCALE.
DELAYS = {
    "auto_message": 0.5,
    "assign": 1.0,
    "accept": 0.3,
    "read": 1.0,
    "composing": 1.5,
    "reply": 3.0,
    "survey_greeting": 1.0,
    "survey_first_question": 2.0,
    "survey_read": 0.3,
    "survey_next": 1.5,
}

# The first SEND must follow CONVERSATION within this for the auto messages (Send API, Examples).
AUTO_MESSAGES_WINDOW_MS = 10_000
AUTO_MESSAGE = "Welcome! An agent will be with you shortly."
HELP_TEXT = (
    "I am the sandbox agent. Write: rich (a card with buttons and a map), "
    "quick (quick replies), help (this list). Anything else I repeat."
)
QUICK_TEXT = "Pick one:"
PICKED_TEXT = "You picked"
# The card's button with click metadata: an ACTION carrying it gets "You picked <id>."
CARD_EXTERNAL_ID = "sandbox-order-1001"
SURVEY_GREETING = "Hello, I'm the survey bot and I would like to collect your feedback on your conversation."
SURVEY_THANKS = "Thank you for your time."
SURVEY_ID = "90001001"
# A CSAT question (1 to 5) and an FCR one (first-contact resolution), each with "Skip" as in the
# survey tutorial; their answers become the ExConversation `csat` (docs/LIVEPERSON.md,
# 'Post-conversation survey').
CSAT_QUESTION, FCR_QUESTION = 1, 2
SURVEY_SKIP = "Skip"
SURVEY_QUESTIONS = [
    ("How would you rate this conversation?", ["1", "2", "3", "4", "5", SURVEY_SKIP]),
    ("Was your issue resolved?", ["Yes", "No", SURVEY_SKIP]),
]
# Stable ids that look like LivePerson's (uuids), the same on every run.
_ID_NAMESPACE = uuid.UUID("6f1c2a4e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")


# --- Scheduling (inside the caller's transaction) --------------------------------


def react(conversation: MessagingConversation, *, trigger: str, record: MessagingEvent | None = None) -> None:
    """Schedule the agent's (or survey bot's) reaction to what just happened."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown agent trigger {trigger!r}")
    if trigger in ("survey_opened", "closed"):
        tasks_cancel(conversation)
    _schedule(conversation, _PLANS[trigger](conversation, record))


def tasks_cancel(conversation: MessagingConversation, *, kinds: set[str] | None = None) -> int:
    """Mark the conversation's pending tasks done without doing them (e.g. on a close)."""
    pending = AgentTask.objects.filter(conversation=conversation, done_at__isnull=True)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    return pending.update(done_at=timezone.now())


def _schedule(conversation: MessagingConversation, plan: list[tuple[str, str, dict]]) -> None:
    """Create the tasks of a plan: (delay name, kind, payload), in the order given."""
    if not plan:
        return
    start = timezone.now()
    scale = settings.SANDBOX_AGENT_DELAY_SCALE
    AgentTask.objects.bulk_create(
        AgentTask(
            conversation=conversation,
            kind=kind,
            payload=payload,
            due_at=start + timedelta(seconds=DELAYS[delay] * scale),
        )
        for delay, kind, payload in plan
    )
    # NOTIFY inside the transaction reaches the workers at commit, when the tasks are visible.
    wake()


def _plan_opened(conversation, record):
    if conversation.agent_mode == MessagingConversation.AgentMode.HUMAN:
        return []
    dialog = {"dialog_id": messaging.main_dialog(conversation).dialog_id}
    return [("assign", "assign", dialog)]


def _plan_auto_message(conversation, record) -> list:
    """AUTO_MESSAGES (docs/LIVEPERSON.md, 'Features'): only for an account with the Controller
    Bot permissions, and only when the first SEND came within 10 seconds of CONVERSATION."""
    if messaging.AUTO_MESSAGES not in (conversation.features or []) or not conversation.account.auto_messages:
        return []
    if record.server_timestamp - conversation.start_ts > AUTO_MESSAGES_WINDOW_MS:
        return []
    if conversation.events.filter(role="CONSUMER").exclude(pk=record.pk).exists():
        return []  # not the first SEND
    return [("auto_message", "auto_message", {"dialog_id": record.dialog.dialog_id})]


def _plan_consumer_event(conversation, record):
    if record is None:
        return []
    auto = (
        []
        if conversation.agent_mode == MessagingConversation.AgentMode.HUMAN
        else _plan_auto_message(conversation, record)
    )
    picked = clicked_external_id(record)
    if picked and conversation.agent_mode != MessagingConversation.AgentMode.HUMAN:
        dialog = {"dialog_id": record.dialog.dialog_id}
        return auto + [("reply", "reply", {**dialog, "event": text_event(f"{PICKED_TEXT} {picked}.")})]
    if record.event.get("type") != "ContentEvent":
        return auto  # receipts, chat states and survey ACTIONs need no answer
    if record.dialog.dialog_type == Dialog.Type.POST_SURVEY:
        return _plan_survey_answer(record)
    if conversation.agent_mode == MessagingConversation.AgentMode.HUMAN:
        return []
    dialog = {"dialog_id": record.dialog.dialog_id}
    received = {**dialog, "sequence": record.sequence}
    return auto + [
        ("accept", "accept", received),
        ("read", "read", received),
        ("composing", "chat_state", {**dialog, "chat_state": "COMPOSING"}),
        ("reply", "reply", {**dialog, "event": reply_event(record.event)}),
        ("reply", "chat_state", {**dialog, "chat_state": "ACTIVE"}),
    ]


def _plan_survey_opened(conversation, record):
    survey = messaging.open_dialog(conversation)
    if survey is None or survey.dialog_type != Dialog.Type.POST_SURVEY:
        return []
    dialog = {"dialog_id": survey.dialog_id}
    return [
        ("survey_greeting", "survey_greeting", dialog),
        ("survey_first_question", "survey_ask", {**dialog, "question": 1}),
    ]


def _plan_survey_answer(record: MessagingEvent):
    """Any text answers the question being asked: a button's text with its
    metadata (as documented), or plain text (what the original app sends)."""
    survey = Dialog.objects.get(pk=record.dialog_id)  # survey_step as the bot left it
    dialog = {"dialog_id": survey.dialog_id}
    plan = [("survey_read", "survey_read", {**dialog, "sequence": record.sequence})]
    asked = survey.survey_step
    if asked == 0:
        return plan  # nothing asked yet
    if asked < len(SURVEY_QUESTIONS):
        plan.append(("survey_next", "survey_ask", {**dialog, "question": asked + 1}))
    else:
        plan.append(("survey_next", "survey_complete", {**dialog, "after_question": asked}))
    return plan


def _plan_closed(conversation, record):
    return []  # react() has cancelled what was planned


_PLANS = {
    "opened": _plan_opened,
    "consumer_event": _plan_consumer_event,
    "survey_opened": _plan_survey_opened,
    "closed": _plan_closed,
}


# --- What the agent answers -------------------------------------------------------


def reply_event(consumer_event: dict) -> dict:
    """The agent's answer to a consumer ContentEvent: a command's answer or an echo."""
    message = consumer_event.get("message")
    if consumer_event.get("contentType") == "hosted/file" and isinstance(message, dict):
        return text_event(f"Thanks for the file {message.get('caption') or ''}".strip())
    text = message if isinstance(message, str) else ""
    command = " ".join(text.lower().split())
    if command == "help":
        return text_event(HELP_TEXT)
    if command == "rich":
        return {"type": "RichContentEvent", "content": rich_card(), "quickReplies": quick_replies()}
    if command in ("quick", "quick replies"):
        return {**text_event(QUICK_TEXT), "quickReplies": quick_replies()}
    return text_event(f"You said: {text}")


def clicked_external_id(record: MessagingEvent) -> str:
    """The ExternalId of a consumer's ACTION on a MAIN-dialog message (a click on a button
    with click metadata, docs/LIVEPERSON.md, 'Rich content and quick replies'), or ""."""
    event = record.event
    if event.get("type") != "AcceptStatusEvent" or event.get("status") != "ACTION":
        return ""
    if record.dialog.dialog_type != Dialog.Type.MAIN:
        return ""
    for item in record.metadata if isinstance(record.metadata, list) else []:
        if isinstance(item, dict) and item.get("type") == "ExternalId" and isinstance(item.get("id"), str):
            return item["id"]
    return ""


def text_event(text: str) -> dict:
    return {"type": "ContentEvent", "contentType": "text/plain", "message": text}


def button(title: str, actions: list[dict], metadata: list[dict] | None = None) -> dict:
    click = {"actions": actions}
    if metadata:
        click["metadata"] = metadata
    return {"type": "button", "tooltip": title, "title": title, "click": click}


def publish_text(text: str) -> dict:
    return {"type": "publishText", "text": text}


def quick_replies(replies: list[dict] | None = None) -> dict:
    """A quickReplies block (docs/LIVEPERSON.md, 'Rich content and quick replies');
    by default the agent's own commands."""
    if replies is None:
        replies = [button(word, [publish_text(word)]) for word in ("help", "rich", "quick")]
    return {"type": "quickReplies", "itemsPerRow": 8, "replies": replies}


def rich_card() -> dict:
    """A structured-content card using each basic element (docs/LIVEPERSON.md,
    'Rich content and quick replies')."""
    scheme = settings.LIVEPERSON_SCHEME
    image_url = f"{scheme}://{settings.SANDBOX_HOST}{settings.STATIC_URL}sandbox/card.svg"
    return {
        "type": "vertical",
        "elements": [
            {"type": "text", "text": "Sandbox card", "tooltip": "Sandbox card", "style": {"bold": True}},
            {"type": "image", "url": image_url, "caption": "A picture", "tooltip": "A picture"},
            {"type": "text", "text": "Buttons send text or open a link; the map opens a place."},
            button("Say hello", [publish_text("hello")]),
            button(
                "Order 1001", [publish_text("Order 1001")], [{"type": "ExternalId", "id": CARD_EXTERNAL_ID}]
            ),
            {
                "type": "template",
                "templateType": "quickReply",
                "title": "Was this card useful?",
                "resp": ["Yes", "No"],
            },
            button(
                "LivePerson docs",
                [{"type": "link", "uri": "https://developers.liveperson.com/", "name": "LivePerson docs"}],
            ),
            {
                "type": "map",
                "la": 40.7484,
                "lo": -73.9857,
                "tooltip": "Empire State Building",
                "click": {
                    "actions": [
                        {"type": "navigate", "la": 40.7484, "lo": -73.9857, "name": "Empire State Building"}
                    ]
                },
            },
        ],
    }


# --- The survey (docs/LIVEPERSON.md, 'Post-conversation survey') ---------------------


def survey_question_id(number: int) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"survey {SURVEY_ID} question {number}"))


def survey_answer_id(number: int, title: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"survey {SURVEY_ID} question {number} answer {title}"))


def survey_answer_metadata(number: int, title: str) -> list[dict]:
    """What the consumer echoes on the ACTION and the ContentEvent of an answer."""
    return [
        {
            "type": "Answer",
            "questionId": survey_question_id(number),
            "id": survey_answer_id(number, title),
            "provider": "AC",
        }
    ]


def survey_question(number: int) -> tuple[dict, list[dict]]:
    """Question `number` (from 1): its ContentEvent with quick replies, and the
    change-level Question metadata naming the replies' ids."""
    text, titles = SURVEY_QUESTIONS[number - 1]
    replies = [button(t, [publish_text(t)], survey_answer_metadata(number, t)) for t in titles]
    event = {**text_event(text), "quickReplies": quick_replies(replies)}
    metadata = [
        {
            "type": "Question",
            "id": survey_question_id(number),
            "surveyId": SURVEY_ID,
            "provider": "AC",
            "replies": [survey_answer_id(number, t) for t in titles],
        }
    ]
    return event, metadata


def survey_csat(survey: Dialog) -> dict:
    """The `csat` of the answers in the survey dialog: csatRate from the CSAT question,
    csatResolutionConfirmation from the FCR one, status FILLED, PARTIALLY_FILLED or SKIPPED
    (developer-center assets/schema/types/csat.json). An answer is known by its Answer
    metadata, or, without it (the original app sends plain text), by its place in order."""
    answers = {}
    texts = survey.events.filter(role="CONSUMER", event__type="ContentEvent").order_by("pk")
    for place, record in enumerate(texts, start=1):
        number = _answered_question(record.metadata) or place
        answers.setdefault(number, str(record.event.get("message") or "").strip())
    csat = {}
    if answers.get(CSAT_QUESTION, "") in SURVEY_QUESTIONS[CSAT_QUESTION - 1][1][:5]:
        csat["csatRate"] = int(answers[CSAT_QUESTION])
    if answers.get(FCR_QUESTION) in ("Yes", "No"):
        csat["csatResolutionConfirmation"] = answers[FCR_QUESTION] == "Yes"
    csat["status"] = {0: "SKIPPED", 1: "PARTIALLY_FILLED"}.get(len(csat), "FILLED")
    return csat


def _answered_question(metadata) -> int | None:
    ids = {survey_question_id(n): n for n in range(1, len(SURVEY_QUESTIONS) + 1)}
    for item in metadata if isinstance(metadata, list) else []:
        if isinstance(item, dict) and item.get("type") == "Answer" and item.get("questionId") in ids:
            return ids[item["questionId"]]
    return None


# --- Carrying tasks out (the worker job) ------------------------------------------------


def run_due() -> int:
    """Worker job: carry out due agent tasks; returns how many were finished."""
    due = AgentTask.objects.filter(done_at__isnull=True, due_at__lte=timezone.now()).order_by("due_at", "id")
    claimed = claims.claim(due, limit=CLAIM_BATCH, lease_seconds=LEASE_SECONDS)
    # claim() answers in pk order; a conversation's tasks must go in due order.
    claimed.sort(key=lambda task: (task.due_at, task.id))
    return sum(_carry_out(task) for task in claimed)


def _carry_out(claimed: AgentTask) -> int:
    """Do one claimed task; 1 if it is now finished (done or skipped), else 0."""
    try:
        with transaction.atomic():
            # The conversation first: react() holds that lock when it touches tasks.
            conversation = messaging.conversation_locked(claimed.conversation.conversation_id)
            task = AgentTask.objects.filter(pk=claimed.pk, done_at__isnull=True).first()
            if task is None or task.lease_token != claimed.lease_token:
                return 0  # cancelled, or our lease ran out and another worker has it
            if _waits_for_earlier(task):
                claims.release(task)
                return 0
            if not _skipped(conversation, task):
                HANDLERS[task.kind](conversation, task)
            # Done in the same transaction as the effect: exactly once.
            if not claims.complete(task, done_at=timezone.now()):
                raise claims.LeaseLostError(task.pk)
            return 1
    except claims.LeaseLostError:
        return 0
    except Exception:
        # A bug in one task must not jam its conversation's queue: log it, drop the task.
        logger.exception("sandbox agent task %s (%s) failed; dropping it", claimed.pk, claimed.kind)
        claims.complete(claimed, done_at=timezone.now())
        return 1


def _waits_for_earlier(task: AgentTask) -> bool:
    """A conversation's tasks happen in order: ACCEPT before READ before the reply."""
    earlier = Q(due_at__lt=task.due_at) | Q(due_at=task.due_at, id__lt=task.id)
    return (
        AgentTask.objects.filter(conversation_id=task.conversation_id, done_at__isnull=True)
        .filter(earlier)
        .exists()
    )


def _skipped(conversation: MessagingConversation, task: AgentTask) -> bool:
    """A task whose dialog closed meanwhile, or an agent task in human mode, is not done."""
    dialog = conversation.dialogs.filter(dialog_id=task.payload.get("dialog_id")).first()
    if dialog is None or dialog.state != "OPEN":
        return True
    return task.kind in AGENT_KINDS and conversation.agent_mode == MessagingConversation.AgentMode.HUMAN


# --- Task handlers ---------------------------------------------------------------------


def _dialog(conversation: MessagingConversation, task: AgentTask) -> Dialog:
    return conversation.dialogs.get(dialog_id=task.payload["dialog_id"])


def _as_agent(conversation: MessagingConversation, task: AgentTask, event: dict) -> MessagingEvent:
    """Publish as the assigned agent, assigning it first if the consumer was quicker."""
    if not conversation.assigned_agent_id:
        messaging.assign_agent(conversation)
    return messaging.publish(
        conversation,
        _dialog(conversation, task),
        role="ASSIGNED_AGENT",
        originator_id=conversation.assigned_agent_id,
        event=event,
    )


def _as_survey_bot(conversation, task, event: dict, metadata: list | None = None) -> MessagingEvent:
    return messaging.publish(
        conversation,
        _dialog(conversation, task),
        role="AGENT",
        originator_id=messaging.SURVEY_BOT_ID,
        event=event,
        metadata=metadata,
    )


def _receipt(status: str, sequence: int) -> dict:
    return {"type": "AcceptStatusEvent", "status": status, "sequenceList": [sequence]}


def _do_assign(conversation, task):
    if not conversation.assigned_agent_id:
        messaging.assign_agent(conversation)


def _do_auto_message(conversation, task):
    messaging.publish(
        conversation,
        _dialog(conversation, task),
        role="CONTROLLER",
        originator_id=messaging.CONTROLLER_ID,
        event=text_event(AUTO_MESSAGE),
    )


def _do_accept(conversation, task):
    _as_agent(conversation, task, _receipt("ACCEPT", task.payload["sequence"]))


def _do_read(conversation, task):
    _as_agent(conversation, task, _receipt("READ", task.payload["sequence"]))


def _do_chat_state(conversation, task):
    _as_agent(conversation, task, {"type": "ChatStateEvent", "chatState": task.payload["chat_state"]})


def _do_reply(conversation, task):
    event = messaging.as_delivered(conversation, task.payload["event"])
    if event is not None:
        _as_agent(conversation, task, event)


def _do_survey_read(conversation, task):
    _as_survey_bot(conversation, task, _receipt("ACCEPT", task.payload["sequence"]))
    _as_survey_bot(conversation, task, _receipt("READ", task.payload["sequence"]))


def _do_survey_greeting(conversation, task):
    _as_survey_bot(conversation, task, text_event(SURVEY_GREETING))


def _do_survey_ask(conversation, task):
    """Ask the next question, unless another answer already moved the survey on."""
    survey = _dialog(conversation, task)
    number = task.payload["question"]
    if survey.survey_step != number - 1:
        return
    event, metadata = survey_question(number)
    _as_survey_bot(conversation, task, event, metadata)
    survey.survey_step = number
    survey.save(update_fields=["survey_step"])


def _do_survey_complete(conversation, task):
    survey = _dialog(conversation, task)
    if survey.survey_step != task.payload["after_question"]:
        return
    _as_survey_bot(conversation, task, text_event(SURVEY_THANKS))
    messaging.complete_survey(conversation, survey, csat=survey_csat(survey))


HANDLERS = {
    "assign": _do_assign,
    "auto_message": _do_auto_message,
    "accept": _do_accept,
    "read": _do_read,
    "chat_state": _do_chat_state,
    "reply": _do_reply,
    "survey_read": _do_survey_read,
    "survey_greeting": _do_survey_greeting,
    "survey_ask": _do_survey_ask,
    "survey_complete": _do_survey_complete,
}
