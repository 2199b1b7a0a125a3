"""What the chat keys by (dialog, sequence), against the sandbox over real HTTP
(docs/LIVEPERSON.md, 'Sequences'). Sequences restart in each dialog: the survey's
first message is 0 again, so a sequence alone never names a message."""

import pytest

from chat import actions
from chat.models import ChatConversation
from chat.tests.conftest import frames_until, socket, start
from core.offloop import off_loop
from sandbox.models import Account as SandboxAccount
from sandbox.models import Dialog as SandboxDialog
from sandbox.models import MessagingEvent
from sandbox.tests.agent_factories import drain

pytestmark = pytest.mark.django_db(transaction=True)

SURVEY_SKILL = "90001"  # the seeded account's survey skill


def _in_survey(admin, chat_app) -> tuple[ChatConversation, str]:
    """A conversation whose MAIN dialog the consumer closed: the survey bot has asked
    its first question. The chat follows the dialog change as its webhook would make it."""
    chat = start(admin, chat_app, first_message="Hello", survey_skill_id=SURVEY_SKILL)
    drain()
    actions.conversation_close_for_survey(conversation=chat)
    drain()
    survey = SandboxDialog.objects.get(
        conversation__conversation_id=chat.conversation_id, dialog_type="POST_SURVEY"
    )
    chat.dialog_id, chat.state = survey.dialog_id, "CLOSE"
    chat.save(update_fields=["dialog_id", "state"])
    return chat, survey.dialog_id


def _consumer_receipts(chat: ChatConversation) -> list[tuple[str, list[int]]]:
    receipts = MessagingEvent.objects.filter(
        conversation__conversation_id=chat.conversation_id, role="CONSUMER", event__type="AcceptStatusEvent"
    ).order_by("pk")
    return [(r.dialog.dialog_id, r.event["sequenceList"]) for r in receipts.select_related("dialog")]


def _survey_question(chat: ChatConversation) -> MessagingEvent:
    return (
        MessagingEvent.objects.filter(
            conversation__conversation_id=chat.conversation_id,
            dialog__dialog_type="POST_SURVEY",
            role="AGENT",
            event__type="ContentEvent",
        )
        .order_by("pk")
        .last()
    )


@pytest.mark.parametrize("scope", ["dialog", "conversation"])
def test_a_receipt_goes_only_to_the_dialog_of_its_messages(admin, chat_app, scope):
    SandboxAccount.objects.filter(account_id="90000001").update(sequence_scope=scope)
    chat, survey_id = _in_survey(admin, chat_app)
    question = _survey_question(chat)

    # The page read MAIN's message 0 just before the survey opened: too late for MAIN,
    # and in the survey dialog 0 is another message.
    actions.conversation_receipt(
        conversation=chat, status="READ", sequences=[0], dialog_id=chat.main_dialog_id
    )
    actions.conversation_receipt(
        conversation=chat, status="READ", sequences=[question.sequence], dialog_id=survey_id
    )

    assert _consumer_receipts(chat) == [(survey_id, [question.sequence])]


def _webhooks_elsewhere(app) -> None:
    app.endpoints = {kind: "https://example.com/hooks" for kind in app.endpoints}
    app.save(update_fields=["endpoints"])


async def _history(admin, chat: ChatConversation) -> list[dict]:
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    try:
        frames = await frames_until(communicator, lambda f: f["type"] == "history")
    finally:
        await communicator.disconnect()
    return frames[-1]["records"]


async def test_restored_history_keeps_each_dialogs_messages(admin, chat_app):
    chat, survey_id = await off_loop(_in_survey)(admin, chat_app)
    await off_loop(_webhooks_elsewhere)(chat_app)

    records = await _history(admin, chat)

    keys = [(r["dialog_id"], r["seq"]) for r in records]
    assert (chat.main_dialog_id, 0) in keys  # the consumer's "Hello"
    assert (survey_id, 0) in keys  # the survey bot's greeting
    assert len(set(keys)) == len(keys)


async def test_sent_names_the_dialog_the_message_went_to(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "hi"})
    frames = await frames_until(communicator, lambda f: f["type"] == "sent")

    assert frames[-1] == {"type": "sent", "ref": "r1", "sequence": 0, "dialog_id": chat.main_dialog_id}
    await communicator.disconnect()
