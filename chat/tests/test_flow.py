"""The whole conversation through real HTTP and real signed webhooks: the sandbox
answers the Send API, its dispatcher posts signed notifications to a real
daphne, and the chat socket (the full ASGI application, a real session) sees
them through Redis."""

import pytest

from chat import starting
from chat.models import ChatConversation
from chat.tests.conftest import frames_until, has_text, socket, start, texts
from core.offloop import off_loop
from sandbox.agent import AUTO_MESSAGE, SURVEY_QUESTIONS

pytestmark = pytest.mark.django_db(transaction=True)


def _closed(frame) -> bool:
    return frame["type"] == "conversation" and frame["conversation"]["closed"]


async def test_start_text_echo_and_close(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="Hello")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    first = await communicator.receive_json_from(timeout=10)
    assert first["type"] == "conversation"
    assert first["conversation"]["conversation_id"] == chat.conversation_id
    assert first["conversation"]["app_name"] == "Chat app"
    frames = await frames_until(communicator, has_text("You said: Hello", "ASSIGNED_AGENT"))
    assert AUTO_MESSAGE in texts(frames)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "hi there"})
    frames = await frames_until(communicator, has_text("You said: hi there", "ASSIGNED_AGENT"))
    sent = [f for f in frames if f["type"] == "sent"]
    assert sent == [
        {"type": "sent", "ref": "r1", "sequence": sent[0]["sequence"], "dialog_id": chat.main_dialog_id}
    ]
    assert isinstance(sent[0]["sequence"], int)

    await communicator.send_json_to({"action": "close"})
    await frames_until(communicator, _closed)
    stored = await off_loop(ChatConversation.objects.get)(pk=chat.pk)
    assert (stored.state, stored.stage, stored.closed) == ("CLOSE", "CLOSE", True)
    await communicator.disconnect()


async def test_the_requests_console_shows_every_call_without_secrets(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="Hello")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    frames = await frames_until(communicator, lambda f: f["type"] == "requests")
    requests = frames[-1]["requests"]
    services = [r["service"] for r in requests]
    assert services[:3] == ["sentinel", "idp", "asyncMessagingEnt"]
    assert "asyncMessagingEnt" in services[3:]  # the first message
    text = str(requests)
    secret = await off_loop(lambda: chat_app.client_secret)()
    jws = await off_loop(lambda: chat.consumer_jws)()
    assert secret not in text
    assert jws not in text
    assert all(r["request_headers"].get("Authorization") in (None, "********") for r in requests)
    await communicator.disconnect()


async def test_close_with_a_survey_answered_with_actions_and_metadata(admin, chat_app, workers):
    chat = await off_loop(start)(
        admin, chat_app, first_message="Hello", survey_skill_id="90001", features=starting.SURVEY_FEATURES
    )
    assert chat.skill_id == "-1"
    assert "MULTI_DIALOG" in chat.features
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await frames_until(communicator, has_text("You said: Hello"))

    await communicator.send_json_to({"action": "close_survey"})
    frames = await frames_until(
        communicator, lambda f: f["type"] == "conversation" and f["conversation"]["in_survey"]
    )
    survey_dialog = frames[-1]["conversation"]["dialog_id"]
    assert survey_dialog != chat.main_dialog_id

    for question, answers in SURVEY_QUESTIONS:
        frames = await frames_until(communicator, has_text(question))
        change = _question(frames, question)
        reply = change["event"]["quickReplies"]["replies"][0]
        await communicator.send_json_to(
            {
                "action": "survey_answer",
                "ref": question,
                "sequence": change["sequence"],
                "text": reply["title"],
                "metadata": reply["click"]["metadata"],
            }
        )
        assert reply["title"] == answers[0]

    await frames_until(communicator, _closed)
    await communicator.disconnect()
    answers = await off_loop(_survey_answers)(survey_dialog)
    assert [a.event["status"] for a in answers if a.event["type"] == "AcceptStatusEvent"] == [
        "ACTION",
        "ACTION",
    ]
    assert all(a.metadata for a in answers)


def _question(frames, question: str) -> dict:
    for frame in frames:
        for event in frame.get("events", []) if frame["type"] == "events" else []:
            if (event["payload"].get("event") or {}).get("message") == question:
                return event["payload"]
    raise AssertionError(question)


def _survey_answers(dialog_id: str):
    from sandbox.models import MessagingEvent

    return list(
        MessagingEvent.objects.filter(dialog__dialog_id=dialog_id, role="CONSUMER")
        .exclude(event__type="ChatStateEvent")
        .order_by("id")
    )
