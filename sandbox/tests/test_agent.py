"""The scripted agent and the survey bot: what they publish, in what order, with
which roles and metadata, and how the worker job shares tasks between workers
(docs/LIVEPERSON.md, 'Send API: SEND' to 'Rich content and quick replies')."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sandbox import agent, agent_desk, messaging
from sandbox.models import AgentTask, MessagingConversation
from sandbox.services import sandbox_seed
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_closes_main_dialog,
    consumer_says,
    consumer_sends,
    conversation_changes,
    drain,
    events_after,
    messaging_changes,
    open_conversation,
    sandbox_installation,
)
from worker import claims


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def summary(events) -> list[tuple]:
    """(role, type, detail) per event, detail = text, status or chat state."""
    rows = []
    for record in events:
        event = record.event
        detail = event.get("message") or event.get("status") or event.get("chatState") or ""
        rows.append((record.role, event["type"], detail if isinstance(detail, str) else ""))
    return rows


# --- Opening ------------------------------------------------------------------------


def test_it_assigns_the_agent_when_the_conversation_opens(installation):
    conversation = open_conversation(installation)

    drain()

    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == messaging.SANDBOX_AGENT_ID
    participants = conversation_changes(conversation)[-1]["conversationDetails"]["participants"]
    assert {"id": messaging.SANDBOX_AGENT_ID, "role": "ASSIGNED_AGENT"} in participants


def test_it_sends_no_auto_message_without_the_feature(installation):
    conversation = open_conversation(installation)

    drain()

    assert events_after(conversation) == []


def test_it_sends_a_controller_auto_message_after_a_prompt_first_send(installation):
    # AUTO_MESSAGES needs the first SEND within 10 s of CONVERSATION (docs/LIVEPERSON.md, 'Features').
    conversation = open_conversation(installation, features=["AUTO_MESSAGES", "RICH_CONTENT"])
    drain()
    assert messaging_changes(conversation) == []

    consumer_sends(conversation, {"type": "ChatStateEvent", "chatState": "ACTIVE"})
    drain()

    [_, change] = messaging_changes(conversation)
    assert change["originatorMetadata"] == {"id": messaging.CONTROLLER_ID, "role": "CONTROLLER"}
    assert change["event"] == {
        "type": "ContentEvent",
        "contentType": "text/plain",
        "message": agent.AUTO_MESSAGE,
    }
    assert change["sequence"] == 0
    assert change["dialogId"] == conversation.conversation_id


def test_nothing_happens_before_the_tasks_are_due(installation, settings):
    settings.SANDBOX_AGENT_DELAY_SCALE = 1.0
    conversation = open_conversation(installation, features=["AUTO_MESSAGES"])

    assert agent.run_due() == 0
    assert events_after(conversation) == []
    assert AgentTask.objects.filter(conversation=conversation, done_at__isnull=True).count() == 1


# --- Answering the consumer ---------------------------------------------------------


def test_it_accepts_reads_types_and_echoes_in_order(conversation):
    said = consumer_says(conversation, "hello there")

    drain()

    assert summary(events_after(conversation, said)) == [
        ("ASSIGNED_AGENT", "AcceptStatusEvent", "ACCEPT"),
        ("ASSIGNED_AGENT", "AcceptStatusEvent", "READ"),
        ("ASSIGNED_AGENT", "ChatStateEvent", "COMPOSING"),
        ("ASSIGNED_AGENT", "ContentEvent", "You said: hello there"),
        ("ASSIGNED_AGENT", "ChatStateEvent", "ACTIVE"),
    ]


def test_its_notifications_carry_sequences_and_the_agent_role(conversation):
    said = consumer_says(conversation, "hello")

    drain()

    changes = messaging_changes(conversation)[1:]  # after the consumer's own
    assert [c["event"].get("sequenceList") for c in changes[:2]] == [[said.sequence], [said.sequence]]
    assert [c.get("sequence") for c in changes] == [
        said.sequence + 1,
        said.sequence + 2,
        None,
        said.sequence + 3,
        None,
    ]
    assert {c["originatorMetadata"]["role"] for c in changes} == {"ASSIGNED_AGENT"}
    assert {c["originatorId"] for c in changes} == {messaging.SANDBOX_AGENT_ID}
    assert all(c["conversationId"] == c["dialogId"] == conversation.conversation_id for c in changes)
    assert "serverTimestamp" not in changes[2]  # chat states have none (docs/LIVEPERSON.md, 'Webhooks')


def test_it_assigns_itself_first_when_the_consumer_writes_before_the_assignment(installation):
    conversation = open_conversation(installation)
    said = consumer_says(conversation, "quick question")
    # The assignment is planned first; make the consumer's tasks come first instead.
    AgentTask.objects.filter(conversation=conversation, kind="assign").update(
        due_at=timezone.now() + timedelta(seconds=1)
    )

    drain()

    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == messaging.SANDBOX_AGENT_ID
    assert summary(events_after(conversation, said))[0] == ("ASSIGNED_AGENT", "AcceptStatusEvent", "ACCEPT")


def test_rich_gives_a_card_with_quick_replies(conversation):
    said = consumer_says(conversation, "Rich")

    drain()

    reply = next(e for e in events_after(conversation, said) if e.event["type"] == "RichContentEvent")
    content = reply.event["content"]
    assert content["type"] == "vertical"
    assert [element["type"] for element in content["elements"]] == [
        "text",
        "image",
        "text",
        "button",
        "button",
        "template",
        "button",
        "map",
    ]
    actions = [
        element["click"]["actions"][0]["type"] for element in content["elements"] if "click" in element
    ]
    assert actions == ["publishText", "publishText", "link", "navigate"]
    assert reply.event["quickReplies"]["type"] == "quickReplies"
    assert [r["title"] for r in reply.event["quickReplies"]["replies"]] == ["help", "rich", "quick"]
    rich = [c for c in messaging_changes(conversation) if c["event"]["type"] == "RichContentEvent"]
    assert rich[0]["originatorMetadata"]["role"] == "ASSIGNED_AGENT"


@pytest.mark.parametrize("text", ["quick", "quick replies", "  QUICK  "])
def test_quick_gives_text_with_quick_replies(conversation, text):
    said = consumer_says(conversation, text)

    drain()

    reply = [e for e in events_after(conversation, said) if e.event["type"] == "ContentEvent"][0]
    assert reply.event["message"] == agent.QUICK_TEXT
    replies = reply.event["quickReplies"]["replies"]
    assert replies[0]["click"]["actions"] == [{"type": "publishText", "text": "help"}]


def test_help_lists_the_commands(conversation):
    said = consumer_says(conversation, "help")

    drain()

    texts = [
        e.event["message"] for e in events_after(conversation, said) if e.event["type"] == "ContentEvent"
    ]
    assert texts == [agent.HELP_TEXT]


def test_it_thanks_for_a_file(conversation):
    file_event = {
        "type": "ContentEvent",
        "contentType": "hosted/file",
        "message": {"caption": "cat.png", "relativePath": "/v1/AUTH_async-images/x.PNG", "fileType": "PNG"},
    }
    said = consumer_sends(conversation, file_event)

    drain()

    rows = summary(events_after(conversation, said))
    assert rows[:2] == [
        ("ASSIGNED_AGENT", "AcceptStatusEvent", "ACCEPT"),
        ("ASSIGNED_AGENT", "AcceptStatusEvent", "READ"),
    ]
    assert ("ASSIGNED_AGENT", "ContentEvent", "Thanks for the file cat.png") in rows


@pytest.mark.parametrize(
    "event",
    [
        {"type": "AcceptStatusEvent", "status": "READ", "sequenceList": [0]},
        {"type": "ChatStateEvent", "chatState": "COMPOSING"},
        {"type": "ChatStateEvent", "chatState": "ACTIVE"},
    ],
)
def test_receipts_and_chat_states_get_no_answer(conversation, event):
    said = consumer_sends(conversation, event)

    drain()

    assert events_after(conversation, said) == []


def test_two_quick_messages_get_two_answers_in_order(conversation):
    first = consumer_says(conversation, "one")
    consumer_says(conversation, "two")

    drain()

    replies = [e for e in events_after(conversation, first) if e.event["type"] == "ContentEvent"]
    assert [(e.role, e.event["message"]) for e in replies] == [
        ("CONSUMER", "two"),
        ("ASSIGNED_AGENT", "You said: one"),
        ("ASSIGNED_AGENT", "You said: two"),
    ]


# --- Human mode and closing -----------------------------------------------------------


def test_human_mode_stops_the_script(conversation):
    agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="human")
    said = consumer_says(conversation, "anyone there?")

    drain()

    assert events_after(conversation, said) == []


def test_taking_over_cancels_what_the_script_had_planned(conversation):
    said = consumer_says(conversation, "hello")

    agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="human")
    drain()

    assert events_after(conversation, said) == []


def test_a_task_whose_conversation_went_human_is_skipped(conversation):
    said = consumer_says(conversation, "hello")
    # Switched without the page's service, so the tasks are still pending.
    MessagingConversation.objects.filter(pk=conversation.pk).update(agent_mode="human")

    finished = drain()

    assert finished == 5
    assert events_after(conversation, said) == []
    assert not AgentTask.objects.filter(conversation=conversation, done_at__isnull=True).exists()


def test_handing_back_lets_the_script_answer_again(conversation):
    agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="human")
    agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="scripted")
    said = consumer_says(conversation, "back?")

    drain()

    assert ("ASSIGNED_AGENT", "ContentEvent", "You said: back?") in summary(events_after(conversation, said))


def test_a_task_of_a_conversation_closed_meanwhile_is_skipped(conversation):
    said = consumer_says(conversation, "bye")

    with transaction.atomic():  # closed without telling the agent
        locked = messaging.conversation_locked(conversation.conversation_id)
        messaging.close_conversation(locked, closed_by="CONSUMER", cause="Closed by consumer")

    drain()

    assert events_after(conversation, said) == []


def test_closing_cancels_the_pending_tasks(conversation):
    consumer_says(conversation, "bye")

    consumer_closes_main_dialog(conversation)  # no survey on skill -1

    assert not AgentTask.objects.filter(conversation=conversation, done_at__isnull=True).exists()


def test_an_unknown_trigger_is_refused(conversation):
    with pytest.raises(ValueError, match="unknown agent trigger"):
        agent.react(conversation, trigger="transferred")


# --- The survey (docs/LIVEPERSON.md, 'Post-conversation survey') --------------------------


@pytest.fixture
def survey_conversation(installation):
    opened = open_conversation(
        installation, features=["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"], skill_id=SURVEY_SKILL
    )
    drain()
    consumer_closes_main_dialog(opened)
    drain()
    return MessagingConversation.objects.get(pk=opened.pk)


def survey_dialog(conversation):
    return conversation.dialogs.get(dialog_type="POST_SURVEY")


def last_question(conversation):
    return [e for e in events_after(conversation) if e.metadata and e.metadata[0]["type"] == "Question"][-1]


def answer_with_button(conversation, question, title):
    """What the documentation prescribes: ACTION on the question, then the text, both with metadata."""
    button = next(r for r in question.event["quickReplies"]["replies"] if r["title"] == title)
    metadata = button["click"]["metadata"]
    consumer_sends(
        conversation,
        {"type": "AcceptStatusEvent", "status": "ACTION", "sequenceList": [question.sequence]},
        metadata=metadata,
    )
    return consumer_says(conversation, title, metadata=metadata)


def test_the_survey_bot_greets_and_asks_the_first_question(survey_conversation):
    survey = survey_dialog(survey_conversation)
    bot = [e for e in events_after(survey_conversation) if e.dialog_id == survey.pk]

    assert summary(bot) == [
        ("AGENT", "ContentEvent", agent.SURVEY_GREETING),
        ("AGENT", "ContentEvent", "How would you rate this conversation?"),
    ]
    assert survey.survey_step == 1


def test_a_survey_question_carries_quick_replies_and_question_metadata(survey_conversation):
    survey = survey_dialog(survey_conversation)

    change = messaging_changes(survey_conversation)[-1]

    assert change["dialogId"] == survey.dialog_id
    assert change["originatorMetadata"] == {"id": messaging.SURVEY_BOT_ID, "role": "AGENT"}
    replies = change["event"]["quickReplies"]["replies"]
    assert [r["title"] for r in replies] == ["1", "2", "3", "4", "5", "Skip"]
    [question] = change["metadata"]
    assert question["type"] == "Question"
    assert question["surveyId"] == agent.SURVEY_ID
    assert question["provider"] == "AC"
    assert question["replies"] == [r["click"]["metadata"][0]["id"] for r in replies]
    answer = replies[0]["click"]["metadata"][0]
    assert answer == {
        "type": "Answer",
        "questionId": question["id"],
        "id": question["replies"][0],
        "provider": "AC",
    }
    assert replies[0]["click"]["actions"] == [{"type": "publishText", "text": "1"}]


def test_the_whole_survey_with_metadata_closes_the_stage(survey_conversation):
    conversation = survey_conversation
    answered = answer_with_button(conversation, last_question(conversation), "4")
    drain()
    second = last_question(conversation)
    assert second.event["message"] == "Was your issue resolved?"
    assert [r["title"] for r in second.event["quickReplies"]["replies"]] == ["Yes", "No", "Skip"]

    answer_with_button(conversation, second, "Yes")
    drain()

    bot_after_first = summary(e for e in events_after(conversation, answered) if e.role == "AGENT")
    assert bot_after_first[:3] == [
        ("AGENT", "AcceptStatusEvent", "ACCEPT"),
        ("AGENT", "AcceptStatusEvent", "READ"),
        ("AGENT", "ContentEvent", "Was your issue resolved?"),
    ]
    assert bot_after_first[-1] == ("AGENT", "ContentEvent", agent.SURVEY_THANKS)
    final = conversation_changes(conversation)[-1]["conversationDetails"]
    assert (final["state"], final["stage"]) == ("CLOSE", "CLOSE")
    post_survey = next(d for d in final["dialogs"] if d["dialogType"] == "POST_SURVEY")
    assert (post_survey["state"], post_survey["closedBy"], post_survey["closedCause"]) == (
        "CLOSE",
        "AGENT",
        "Completed",
    )


def test_the_consumers_action_is_stored_with_its_metadata(survey_conversation):
    question = last_question(survey_conversation)

    answer_with_button(survey_conversation, question, "5")

    action, text = [
        c for c in messaging_changes(survey_conversation) if c["originatorMetadata"]["role"] == "CONSUMER"
    ][-2:]
    assert action["event"] == {
        "type": "AcceptStatusEvent",
        "status": "ACTION",
        "sequenceList": [question.sequence],
    }
    assert action["metadata"] == text["metadata"] == agent.survey_answer_metadata(1, "5")


def test_plain_text_answers_complete_the_survey_too(survey_conversation):
    """What the original app sends: the button's title, no ACTION, no metadata."""
    consumer_says(survey_conversation, "3")
    drain()
    consumer_says(survey_conversation, "No")
    drain()

    survey_conversation.refresh_from_db()
    assert (survey_conversation.state, survey_conversation.stage) == ("CLOSE", "CLOSE")
    survey = survey_dialog(survey_conversation)
    assert (survey.state, survey.closed_by, survey.closed_cause) == ("CLOSE", "AGENT", "Completed")


def test_answering_twice_asks_the_next_question_once(survey_conversation):
    consumer_says(survey_conversation, "1")
    consumer_says(survey_conversation, "2")

    drain()

    asked = [e.event["message"] for e in events_after(survey_conversation) if e.metadata]
    assert asked.count("Was your issue resolved?") == 1


def test_the_survey_runs_in_human_mode_too(installation):
    conversation = open_conversation(installation, features=messaging.SURVEY_FEATURES, skill_id=SURVEY_SKILL)
    drain()
    agent_desk.agent_mode_set(conversation_id=conversation.conversation_id, mode="human")

    consumer_closes_main_dialog(conversation)
    drain()

    assert survey_dialog(conversation).survey_step == 1


def test_a_survey_closed_by_the_consumer_gets_no_more_questions(survey_conversation):
    consumer_says(survey_conversation, "4")

    with transaction.atomic():
        locked = messaging.conversation_locked(survey_conversation.conversation_id)
        messaging.close_conversation(locked, closed_by="CONSUMER", cause="Closed by consumer")
        agent.react(locked, trigger="closed")
    drain()

    assert "Was your issue resolved?" not in [
        e.event.get("message") for e in events_after(survey_conversation)
    ]


# --- Sharing the work between workers -------------------------------------------------------


def test_a_live_lease_of_another_worker_is_respected(conversation):
    said = consumer_says(conversation, "hello")
    claims.claim(AgentTask.objects.filter(done_at__isnull=True), lease_seconds=60)

    assert agent.run_due() == 0
    assert events_after(conversation, said) == []


def test_a_task_with_an_expired_lease_is_taken_over(conversation):
    said = consumer_says(conversation, "hello")
    dead = claims.claim(AgentTask.objects.filter(done_at__isnull=True), lease_seconds=60)
    AgentTask.objects.filter(pk__in=[t.pk for t in dead]).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )

    assert drain() == 5

    assert len(events_after(conversation, said)) == 5
    # The dead worker, back to life, cannot record the work again.
    assert not claims.complete(dead[0], done_at=timezone.now())


def test_later_tasks_wait_for_an_earlier_one_another_worker_holds(conversation):
    said = consumer_says(conversation, "hello")
    first = AgentTask.objects.filter(done_at__isnull=True).order_by("due_at", "id")[:1]
    [held] = claims.claim(AgentTask.objects.filter(pk__in=first), lease_seconds=60)

    assert agent.run_due() == 0
    assert events_after(conversation, said) == []

    AgentTask.objects.filter(pk=held.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    drain()
    assert summary(events_after(conversation, said))[0] == ("ASSIGNED_AGENT", "AcceptStatusEvent", "ACCEPT")


def test_a_failing_task_is_dropped_not_retried_forever(conversation, caplog):
    AgentTask.objects.create(
        conversation=conversation, kind="no-such-kind", payload={"dialog_id": conversation.conversation_id}
    )

    assert drain() == 1

    assert "no-such-kind" in caplog.text
    assert not AgentTask.objects.filter(done_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_do_a_task_twice():
    sandbox_seed()
    installation = sandbox_installation()
    conversations = [open_conversation(installation, features=["AUTO_MESSAGES"]) for _ in range(6)]
    for conversation in conversations:
        consumer_says(conversation, "hello")
    planned = AgentTask.objects.count()
    finished = []
    barrier = threading.Barrier(2)

    def work():
        try:
            barrier.wait()
            for _ in range(500):
                finished.append(agent.run_due())
                if not AgentTask.objects.filter(done_at__isnull=True).exists():
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(finished) == planned
    for conversation in conversations:
        assert summary(events_after(conversation)) == [
            ("CONSUMER", "ContentEvent", "hello"),
            ("CONTROLLER", "ContentEvent", agent.AUTO_MESSAGE),
            ("ASSIGNED_AGENT", "AcceptStatusEvent", "ACCEPT"),
            ("ASSIGNED_AGENT", "AcceptStatusEvent", "READ"),
            ("ASSIGNED_AGENT", "ChatStateEvent", "COMPOSING"),
            ("ASSIGNED_AGENT", "ContentEvent", "You said: hello"),
            ("ASSIGNED_AGENT", "ChatStateEvent", "ACTIVE"),
        ]
        participants = [c["conversationDetails"]["participants"] for c in conversation_changes(conversation)]
        assigned = [
            p for p in participants if {"id": messaging.SANDBOX_AGENT_ID, "role": "ASSIGNED_AGENT"} in p
        ]
        assert len(assigned) == 1
