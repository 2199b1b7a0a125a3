"""What the agent's side does (assignment, transfer, back to queue, resume, close) shows in
the chat as notes on the ExConversation changes, from the sandbox agent page's actions over
real signed webhooks (docs/LIVEPERSON.md, 'Agent-side changes')."""

import pytest

from chat.tests.conftest import frames_until, socket, start
from core.offloop import off_loop
from sandbox import agent_desk

pytestmark = pytest.mark.django_db(transaction=True)


def notes(frames: list[dict]) -> list[str]:
    return [
        note
        for frame in frames
        if frame["type"] == "events"
        for event in frame["events"]
        for note in event.get("notes", [])
    ]


def has_note(text: str):
    return lambda frame: text in notes([frame])


def last_seq(frames: list[dict]) -> int:
    return max(event["seq"] for frame in frames if frame["type"] == "events" for event in frame["events"])


async def test_the_chat_tells_what_the_agent_did(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    frames = await frames_until(communicator, has_note("An agent joined the conversation."))

    await off_loop(agent_desk.agent_transfer)(conversation_id=chat.conversation_id, skill_id="777")
    frames += await frames_until(communicator, has_note("Transferred to skill 777; waiting for an agent."))
    await off_loop(agent_desk.agent_resume)(conversation_id=chat.conversation_id)
    frames += await frames_until(communicator, has_note("The agent resumed the conversation."))
    await off_loop(agent_desk.agent_back_to_queue)(conversation_id=chat.conversation_id)
    frames += await frames_until(communicator, has_note("Back in the queue; waiting for an agent."))
    await communicator.disconnect()

    # A reconnecting page knows what came before: the agent coming back resumes.
    again = socket(f"/ws/chat/{chat.pk}/?after={last_seq(frames)}", admin)
    assert (await again.connect())[0]
    await off_loop(agent_desk.agent_resume)(conversation_id=chat.conversation_id)
    later = await frames_until(again, has_note("The agent resumed the conversation."))
    await off_loop(agent_desk.agent_close)(conversation_id=chat.conversation_id)
    later += await frames_until(again, has_note("Closed by the agent."))
    await again.disconnect()

    assert notes(frames) == [
        "An agent joined the conversation.",
        "Transferred to skill 777; waiting for an agent.",
        "The agent resumed the conversation.",
        "Back in the queue; waiting for an agent.",
    ]
    assert notes(later) == ["The agent resumed the conversation.", "Closed by the agent."]


async def test_mark_urgent_changes_the_time_to_respond(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await frames_until(communicator, has_note("An agent joined the conversation."))

    await communicator.send_json_to({"action": "mark_urgent", "ref": "u1"})
    # The value is the sandbox's own TTR for the type; the type is what the consumer chose.
    frames = await frames_until(
        communicator, lambda f: any(n.startswith("Time to respond: URGENT") for n in notes([f]))
    )
    await communicator.disconnect()

    sent = await off_loop(_ttr_requests)(chat.pk)
    assert sent == [{"field": "TTRField", "ttrType": "URGENT", "value": 300}]
    assert not [f for f in frames if f["type"] == "error"]


def _ttr_requests(pk: int) -> list[dict]:
    from chat.models import ChatRequest

    bodies = ChatRequest.objects.filter(conversation_id=pk).values_list("request_body", flat=True)
    return [
        body["body"]["conversationField"]
        for body in bodies
        if isinstance(body, dict) and body.get("type") == "cm.UpdateConversationField"
    ]


async def test_the_survey_answers_show_as_a_note(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="", survey_skill_id="90001")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await frames_until(communicator, has_note("An agent joined the conversation."))

    await communicator.send_json_to({"action": "close_survey"})
    for answer in ("4", "Yes"):
        frames = await frames_until(communicator, lambda f, answer=answer: _offers(f, answer) is not None)
        question, reply = next(_offers(f, answer) for f in frames if _offers(f, answer) is not None)
        await communicator.send_json_to(
            {
                "action": "survey_answer",
                "ref": answer,
                "sequence": question["sequence"],
                "text": reply["title"],
                "metadata": reply["click"]["metadata"],
            }
        )
    await frames_until(communicator, has_note("Survey answers: CSAT 4 of 5, issue resolved: yes."))
    await communicator.disconnect()


def _offers(frame: dict, title: str):
    """(question change, its reply titled `title`) when the frame asks it, else None."""
    for event in frame.get("events", []) if frame["type"] == "events" else []:
        replies = ((event["payload"].get("event") or {}).get("quickReplies") or {}).get("replies") or []
        for reply in replies:
            if reply.get("title") == title and (reply.get("click") or {}).get("metadata"):
                return event["payload"], reply
    return None
