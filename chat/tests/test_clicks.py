"""A click on an agent's button with click metadata (ExternalId), outside the survey: an
ACTION on the clicked message carrying the metadata, then the button's text with it; the
sandbox's agent answers the ExternalId (docs/LIVEPERSON.md, 'Rich content and quick replies')."""

import pytest

from chat import actions
from chat.exceptions import ChatError
from chat.tests.conftest import frames_until, has_text, socket, start
from core.offloop import off_loop
from sandbox.models import MessagingEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _card(frames: list[dict]) -> dict | None:
    for frame in frames:
        for event in frame.get("events", []) if frame["type"] == "events" else []:
            if (event["payload"].get("event") or {}).get("type") == "RichContentEvent":
                return event["payload"]
    return None


def _consumer_events(conversation_id: str) -> list[MessagingEvent]:
    return list(
        MessagingEvent.objects.filter(conversation__conversation_id=conversation_id, role="CONSUMER")
        .exclude(event__type="ChatStateEvent")
        .order_by("id")
    )


async def test_a_click_with_metadata_sends_an_action_then_the_text(admin, chat_app, workers):
    chat = await off_loop(start)(
        admin, chat_app, first_message="rich", features=["RICH_CONTENT", "QUICK_REPLIES"]
    )
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    frames = await frames_until(communicator, lambda f: _card([f]) is not None)
    card = _card(frames)
    button = next(e for e in card["event"]["content"]["elements"] if "metadata" in (e.get("click") or {}))

    await communicator.send_json_to(
        {
            "action": "quick_reply",
            "ref": "c1",
            "text": button["click"]["actions"][0]["text"],
            "metadata": button["click"]["metadata"],
            "sequence": card["sequence"],
            "dialog": card["dialogId"],
        }
    )
    seen = set()

    def both(frame):  # the agent's answer and our "sent", in whichever order they come
        if has_text("You picked sandbox-order-1001.", "ASSIGNED_AGENT")(frame):
            seen.add("answer")
        if frame["type"] == "sent" and frame["ref"] == "c1":
            seen.add("sent")
        return seen == {"answer", "sent"}

    await frames_until(communicator, both)
    await communicator.disconnect()

    sent = await off_loop(_consumer_events)(chat.conversation_id)
    action, text = [
        e for e in sent if e.event.get("status") == "ACTION" or e.event.get("message") == "Order 1001"
    ]
    assert action.event["sequenceList"] == [card["sequence"]]
    assert action.metadata == button["click"]["metadata"]
    assert text.metadata == button["click"]["metadata"]


def test_without_the_clicked_message_only_the_text_goes(admin, chat_app):
    chat = start(admin, chat_app, first_message="")

    actions.conversation_click(
        conversation=chat, text="Order 1001", metadata=[{"type": "ExternalId", "id": "sandbox-order-1001"}]
    )

    assert [e.event["type"] for e in _consumer_events(chat.conversation_id)] == ["ContentEvent"]


@pytest.mark.parametrize(
    "metadata",
    [
        "not a list",
        [{"type": "ExternalId", "id": "x" * 65}],
        [{"type": "ExternalId", "id": 5}],
        [{"n": i} for i in range(11)],
        [{"blob": "x" * 5000}],
        ["a string"],
    ],
)
def test_metadata_from_the_page_is_bounded(metadata):
    with pytest.raises(ChatError):
        actions.checked_metadata(metadata)
