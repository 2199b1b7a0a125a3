"""Click metadata outside the survey: the card's button carries an ExternalId, a consumer's
ACTION with it gets an answer, and malformed ExternalIds are refused like LivePerson's schema
does (docs/LIVEPERSON.md, 'Rich content and quick replies')."""

import pytest

from sandbox import agent, send_api
from sandbox.tests.agent_factories import consumer_sends, drain, messaging_changes

EXTERNAL_ID = [{"type": "ExternalId", "id": agent.CARD_EXTERNAL_ID}]


@pytest.fixture(autouse=True)
def _instant_agent(instant_agent):
    """The agent answers at once (sandbox/tests/conftest.py)."""


def test_the_card_has_a_button_with_an_external_id_and_a_template():
    elements = agent.rich_card()["elements"]

    buttons = [e for e in elements if e["type"] == "button" and "metadata" in e["click"]]
    templates = [e for e in elements if e["type"] == "template"]
    assert buttons[0]["click"]["metadata"] == EXTERNAL_ID
    assert templates == [
        {
            "type": "template",
            "templateType": "quickReply",
            "title": "Was this card useful?",
            "resp": ["Yes", "No"],
        }
    ]


def test_an_action_with_the_external_id_gets_an_answer(conversation):
    action = {"type": "AcceptStatusEvent", "status": "ACTION", "sequenceList": [3]}

    consumer_sends(conversation, action, metadata=EXTERNAL_ID)
    drain()

    texts = [c["event"].get("message") for c in messaging_changes(conversation)]
    assert f"You picked {agent.CARD_EXTERNAL_ID}." in texts


def test_an_action_without_metadata_gets_none(conversation):
    consumer_sends(conversation, {"type": "AcceptStatusEvent", "status": "ACTION", "sequenceList": [3]})
    drain()

    assert not [c for c in messaging_changes(conversation) if "You picked" in str(c["event"].get("message"))]


@pytest.mark.parametrize(
    "metadata",
    [
        [{"type": "ExternalId", "id": "x" * 65}],
        [{"type": "ExternalId"}],
        [{"type": "ExternalId", "id": "a", "extra": 1}],
    ],
)
def test_a_malformed_external_id_is_refused(metadata):
    with pytest.raises(send_api.RequestInvalidError):
        send_api._valid_metadata(metadata)
