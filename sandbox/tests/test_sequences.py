"""Sequences: numbered per dialog, the survey's from 0 again, as the survey tutorial
shows; or, switched per account, once for the whole conversation, as the Webhooks
Events page words it (docs/LIVEPERSON.md, 'Sequences')."""

import pytest

from sandbox import msghist
from sandbox.models import Account, MessagingConversation
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_closes_main_dialog,
    consumer_says,
    drain,
    events_after,
    messaging_changes,
    open_conversation,
)


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def _survey(installation):
    opened = open_conversation(
        installation, features=["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"], skill_id=SURVEY_SKILL
    )
    drain()
    consumer_says(opened, "Hello")
    drain()
    consumer_closes_main_dialog(opened)
    drain()
    return MessagingConversation.objects.get(pk=opened.pk)


def _sequences(conversation, dialog_type):
    events = events_after(conversation)
    return [e.sequence for e in events if e.dialog.dialog_type == dialog_type and e.sequence is not None]


def test_the_survey_dialog_numbers_its_events_from_zero(installation):
    conversation = _survey(installation)

    main = _sequences(conversation, "MAIN")
    survey = _sequences(conversation, "POST_SURVEY")
    assert main == list(range(len(main)))
    assert len(main) >= 3
    assert survey == list(range(len(survey)))
    assert len(survey) >= 2


def test_the_webhooks_carry_each_dialogs_own_sequence(installation):
    conversation = _survey(installation)
    survey_id = conversation.dialogs.get(dialog_type="POST_SURVEY").dialog_id

    first = next(c for c in messaging_changes(conversation) if c["dialogId"] == survey_id and "sequence" in c)
    assert first["sequence"] == 0
    assert first["originatorMetadata"]["role"] == "AGENT"


def test_the_survey_bot_reads_the_answer_by_its_survey_sequence(installation):
    conversation = _survey(installation)

    answer = consumer_says(conversation, "5")
    drain()

    receipts = [e for e in events_after(conversation, answer) if e.event["type"] == "AcceptStatusEvent"]
    assert receipts[0].dialog_id == answer.dialog_id
    assert receipts[0].event["sequenceList"] == [answer.sequence]
    assert answer.sequence < len(_sequences(conversation, "MAIN"))  # MAIN used that number too


def test_history_message_ids_stay_unique_across_dialogs(installation):
    conversation = _survey(installation)

    found = msghist.conversation_search(
        account=conversation.account, body={"conversationId": conversation.conversation_id}
    )

    records = found["conversationHistoryRecords"][0]["messageRecords"]
    keys = [(r["dialogId"], r["seq"]) for r in records]
    assert len({r["messageId"] for r in records}) == len(records)
    assert len(set(keys)) == len(keys)
    assert (conversation.conversation_id, 0) in keys
    assert any(dialog != conversation.conversation_id and seq == 0 for dialog, seq in keys)


def test_an_account_can_number_the_whole_conversation(installation):
    Account.objects.filter(pk=installation.account_id).update(sequence_scope="conversation")

    conversation = _survey(installation)

    numbers = [e.sequence for e in events_after(conversation) if e.sequence is not None]
    assert numbers == list(range(len(numbers)))
    assert _sequences(conversation, "POST_SURVEY")[0] > 0
