"""Who made a change and its one-line summary (webhooks.describe), as every page says them."""

import pytest

from webhooks import describe, payloads


@pytest.mark.parametrize(
    ("event_type", "payload", "summary"),
    [
        ("ContentEvent", {"event": {"contentType": "text/plain", "message": "Hello"}}, "Hello"),
        ("ContentEvent", {"event": {"contentType": "text/plain", "message": "two\nlines"}}, "two lines"),
        (
            "ContentEvent",
            {"event": {"contentType": "hosted/file", "message": {"relativePath": "x"}}},
            "hosted/file",
        ),
        ("AcceptStatusEvent", {"event": {"status": "ACCEPT", "sequenceList": [1]}}, "ACCEPT 1"),
        ("AcceptStatusEvent", {"event": {"status": "READ", "sequenceList": [3, 4]}}, "READ 3,4"),
        ("AcceptStatusEvent", {"event": {"status": "READ"}}, "READ"),
        ("ChatStateEvent", {"event": {"chatState": "COMPOSING"}}, "COMPOSING"),
        (
            "UPSERT",
            {"result": {"conversationDetails": {"state": "CLOSE", "stage": "OPEN"}}},
            "state CLOSE · stage OPEN",
        ),
        ("UPSERT", {"result": {"convId": "x"}}, ""),
        ("DELETE", {"type": "DELETE"}, ""),
        ("RichContentEvent", {"event": {"content": {}}}, "rich content"),
        ("ContentEvent", ["not", "an", "object"], ""),
        ("ContentEvent", {"event": "not an object"}, ""),
    ],
)
def test_the_summary_of_each_change(event_type, payload, summary):
    assert describe.summary(event_type, payload) == summary


def test_a_long_text_is_cut_to_one_bounded_line():
    payload = {"event": {"contentType": "text/plain", "message": "x" * 10_000}}

    line = describe.summary("ContentEvent", payload)

    assert len(line) == describe.SUMMARY_CHARS
    assert line.endswith("…")


@pytest.mark.parametrize(
    ("change", "sender", "role"),
    [
        ({**payloads.content(1), "originatorMetadata": {"role": "CONSUMER"}}, "consumer", "CONSUMER"),
        (payloads.content(1), "agent", "ASSIGNED_AGENT"),
        ({**payloads.content(1), "originatorMetadata": {"role": "AGENT"}}, "agent", "AGENT"),
        ({**payloads.content(1), "originatorMetadata": {"role": "MANAGER"}}, "agent", "MANAGER"),
        ({**payloads.content(1), "originatorMetadata": {"role": "CONTROLLER"}}, "controller", "CONTROLLER"),
        ({**payloads.content(1), "originatorMetadata": {"role": "SOMETHING_NEW"}}, "system", "SOMETHING_NEW"),
        ({**payloads.content(1), "originatorMetadata": "not an object"}, "system", ""),
        (payloads.conversation_change()["body"]["changes"][0], "system", ""),
        ("not an object", "system", ""),
    ],
)
def test_who_made_the_change(change, sender, role):
    described = describe.describe("ContentEvent", change)

    assert (described.sender, described.role) == (sender, role)
    assert described.sender in describe.SENDERS
