"""The survey asks a CSAT and an FCR question, each with Skip, and the change that completes
it carries the answers as `csat` (docs/LIVEPERSON.md, 'Post-conversation survey')."""

import pytest

from sandbox import agent
from sandbox.tests.agent_factories import (
    SURVEY_SKILL,
    consumer_closes_main_dialog,
    consumer_says,
    conversation_changes,
    drain,
    messaging_changes,
    open_conversation,
)

SURVEY_FEATURES = ["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"]


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def surveyed(installation, answers: list[str], *, with_metadata: bool = True) -> dict:
    """Run a survey answering each question in turn; the last ExConversation details."""
    conversation = open_conversation(installation, skill_id=SURVEY_SKILL, features=SURVEY_FEATURES)
    drain()
    consumer_closes_main_dialog(conversation)
    drain()
    for number, title in enumerate(answers, start=1):
        metadata = agent.survey_answer_metadata(number, title) if with_metadata else None
        consumer_says(conversation, title, metadata=metadata)
        drain()
    return conversation_changes(conversation)[-1]["conversationDetails"], conversation


def test_each_question_offers_skip(installation):
    _, conversation = surveyed(installation, [])

    question = [c for c in messaging_changes(conversation) if "quickReplies" in c["event"]][0]
    assert [r["title"] for r in question["event"]["quickReplies"]["replies"]] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "Skip",
    ]


@pytest.mark.parametrize(
    ("answers", "csat"),
    [
        (["4", "Yes"], {"csatRate": 4, "csatResolutionConfirmation": True, "status": "FILLED"}),
        (["Skip", "No"], {"csatResolutionConfirmation": False, "status": "PARTIALLY_FILLED"}),
        (["Skip", "Skip"], {"status": "SKIPPED"}),
    ],
)
def test_the_completing_change_carries_the_answers(installation, answers, csat):
    details, _ = surveyed(installation, answers)

    assert details["stage"] == "CLOSE"
    assert details["csat"] == csat


def test_plain_text_answers_count_in_order(installation):
    details, _ = surveyed(installation, ["2", "Yes"], with_metadata=False)

    assert details["csat"] == {"csatRate": 2, "csatResolutionConfirmation": True, "status": "FILLED"}


def test_only_the_completing_change_has_csat(installation):
    _, conversation = surveyed(installation, ["5", "Yes"])

    assert [("csat" in c["conversationDetails"]) for c in conversation_changes(conversation)][-2:] == [
        False,
        True,
    ]
