"""What the agent's side did, told from consecutive ExConversation changes
(webhooks/changes.py; docs/LIVEPERSON.md, 'Agent-side changes')."""

import pytest

from webhooks import changes, selectors
from webhooks.tests import factories

AGENT = "90000001.1000000003"
CONSUMER = {"id": "c0nsumer", "role": "CONSUMER"}


def change(ts: int, *, agent: str = "", skill="-1", state="OPEN", ttr="NORMAL", **details) -> dict:
    """An ExConversation UPSERT change as LivePerson sends it."""
    participants = [CONSUMER] + ([{"id": agent, "role": "ASSIGNED_AGENT"}] if agent else [])
    return {
        "type": "UPSERT",
        "result": {
            "convId": "conv-1",
            "conversationDetails": {
                "skillId": skill,
                "participants": participants,
                "state": state,
                "stage": state,
                "metaDataLastUpdateTs": ts,
                "ttr": {"ttrType": ttr, "value": 3600},
                **details,
            },
        },
    }


def told(*payloads) -> list[list[str]]:
    tracker = changes.ChangeNotes()
    return [tracker.notes(payload) for payload in payloads]


def test_the_opening_says_nothing_and_an_agent_joining_says_so():
    assert told(change(1), change(2, agent=AGENT)) == [[], ["An agent joined the conversation."]]


def test_transfer_queue_and_resume():
    assert told(
        change(1, agent=AGENT),
        change(2, skill="777"),
        change(3, skill="777", agent=AGENT),
        change(4, skill="777"),
        change(5, skill="777", agent="someone-else"),
        change(6, skill="777", agent="a-third"),
    ) == [
        ["An agent joined the conversation."],
        ["Transferred to skill 777; waiting for an agent."],
        ["The agent resumed the conversation."],
        ["Back in the queue; waiting for an agent."],
        ["An agent joined the conversation."],
        ["Another agent took over."],
    ]


def test_a_new_time_to_respond_and_who_closed():
    assert told(
        change(1, agent=AGENT),
        change(2, agent=AGENT, ttr="URGENT"),
        change(3, agent=AGENT, ttr="URGENT", state="CLOSE", closeReason="AGENT"),
    )[1:] == [["Time to respond: URGENT, 3600 s."], ["Closed by the agent."]]


@pytest.mark.parametrize(
    ("reason", "note"),
    [("CONSUMER", "Closed by the consumer."), ("SYSTEM", "Closed by the system."), ("ODD", "Closed (ODD).")],
)
def test_every_close_reason_is_told(reason, note):
    assert told(change(1), change(2, state="CLOSE", closeReason=reason))[1] == [note]


def test_an_older_change_arriving_late_says_nothing_and_is_not_remembered():
    # Webhooks are not ordered (docs/WEBHOOKS.md): the late one must not undo the transfer.
    assert told(
        change(1, agent=AGENT), change(3, skill="777"), change(2, agent=AGENT), change(4, skill="777")
    ) == [
        ["An agent joined the conversation."],
        ["Transferred to skill 777; waiting for an agent."],
        [],
        [],
    ]


def test_changes_sharing_a_timestamp_are_still_told_apart():
    # LivePerson promises nothing about metaDataLastUpdateTs being unique.
    assert told(change(5), change(5, agent=AGENT), change(5, skill="9"))[1:] == [
        ["An agent joined the conversation."],
        ["Transferred to skill 9; waiting for an agent."],
    ]


@pytest.mark.parametrize(
    "payload", [None, "text", {}, {"type": "DELETE", "result": {}}, {"result": {"conversationDetails": 5}}]
)
def test_anything_else_says_nothing(payload):
    assert told(payload) == [[]]


def test_the_timeline_tells_it_after_the_state(db):
    conversation = factories.conversation()
    for payload in (change(1), change(2, agent=AGENT), change(3, skill="777")):
        factories.event(conversation, event_type="UPSERT", payload=payload)

    timeline = selectors.conversation_timeline(conversation=conversation)
    newest = selectors.conversation_timeline(conversation=conversation, limit=1)

    assert [event.summary for event in timeline] == [
        "state OPEN · stage OPEN",
        "state OPEN · stage OPEN · An agent joined the conversation.",
        "state OPEN · stage OPEN · Transferred to skill 777; waiting for an agent.",
    ]
    # A page that starts later knows the changes before its first row.
    assert [event.summary for event in newest] == [timeline[-1].summary]


def test_notes_until_feeds_the_changes_up_to_a_seq(db):
    conversation = factories.conversation()
    for payload in (change(1, agent=AGENT), change(2)):
        factories.event(conversation, event_type="UPSERT", payload=payload)
    factories.event(conversation)

    tracker = changes.notes_until(conversation_id=conversation.pk, seq=2)

    assert tracker.notes(change(3, agent=AGENT)) == ["The agent resumed the conversation."]


@pytest.mark.parametrize(
    ("csat", "note"),
    [
        (
            {"csatRate": 4, "csatResolutionConfirmation": True, "status": "FILLED"},
            "Survey answers: CSAT 4 of 5, issue resolved: yes.",
        ),
        (
            {"csatResolutionConfirmation": False, "status": "PARTIALLY_FILLED"},
            "Survey answers: issue resolved: no.",
        ),
        ({"status": "SKIPPED"}, "Survey skipped."),
    ],
)
def test_the_survey_answers_are_told_once(csat, note):
    done = change(3, state="CLOSE", closeReason="CONSUMER", csat=csat)

    assert told(change(1), done, {**done})[1:] == [[note, "Closed by the consumer."], []]


def test_the_conversation_page_shows_the_notes(db, client):
    from accounts.models import User

    user = User.objects.create(
        username="90000001:admin", lp_account_id=factories.ACCOUNT, lp_login_name="admin"
    )
    client.force_login(user)
    conversation = factories.conversation()
    for payload in (change(1), change(2, agent=AGENT), change(3)):
        factories.event(conversation, event_type="UPSERT", payload=payload)

    html = client.get(f"/conversations/{conversation.pk}/").content.decode()

    assert "An agent joined the conversation." in html
    assert "Back in the queue; waiting for an agent." in html
