"""Messaging history through real HTTP against the sandbox (docs/LIVEPERSON.md, 'Messaging history')."""

import pytest

from liveperson import errors, msghist, send_api, swift


def _search(app, bearer: str, conversation_id: str):
    return msghist.search_conversation(
        base_uri=app.base_uri(msghist.SERVICE),
        account_id=app.account_id,
        bearer=bearer,
        conversation_id=conversation_id,
    )


def _publish(app, auth, conversation_id, event):
    return app.send(
        auth, send_api.publish_event(conversation_id=conversation_id, dialog_id=conversation_id, event=event)
    )


def test_it_finds_a_conversations_messages_and_statuses(app):
    auth = app.consumer()
    conversation_id = app.open(auth, skillId="90001").conversation_id
    app.text(auth, conversation_id, "hello")
    app.text(auth, conversation_id, "anyone?")
    _publish(app, auth, conversation_id, send_api.accept_status_event("READ", [0]))
    _publish(app, auth, conversation_id, send_api.chat_state_event("COMPOSING"))

    record = _search(app, app.bearer(), conversation_id)

    info = record["info"]
    assert (info["conversationId"], info["brandId"], info["status"]) == (conversation_id, "90000001", "OPEN")
    assert info["latestSkillId"] == 90001
    assert info["endTimeL"] == -1
    assert [(m["type"], m["seq"], m["messageData"]["msg"]["text"]) for m in record["messageRecords"]] == [
        ("TEXT_PLAIN", 0, "hello"),
        ("TEXT_PLAIN", 1, "anyone?"),
    ]
    assert {m["sentBy"] for m in record["messageRecords"]} == {"Consumer"}
    assert record["messageRecords"][0]["dialogId"] == conversation_id
    assert [(s["seq"], s["messageDeliveryStatus"]) for s in record["messageStatuses"]] == [(0, "READ")]


def test_a_closed_conversation_says_close(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    app.send(auth, send_api.close_conversation(conversation_id))

    info = _search(app, app.bearer(), conversation_id)["info"]

    assert info["status"] == "CLOSE"
    assert info["endTimeL"] >= info["startTimeL"]


def test_a_hosted_file_is_listed_with_its_path(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    upload = app.send(auth, send_api.upload_url(file_size=3, file_type="GIF"))["body"]
    swift.upload(
        base_uri=app.base_uri(swift.SERVICE),
        relative_path=upload["relativePath"],
        query_params=upload["queryParams"],
        data=b"GIF",
        content_type="image/gif",
    )
    _publish(
        app,
        auth,
        conversation_id,
        send_api.file_event(
            caption="a.gif", relative_path=upload["relativePath"], file_type="GIF", preview=""
        ),
    )

    (message,) = _search(app, app.bearer(), conversation_id)["messageRecords"]

    assert message["type"] == "HOSTED_FILE"
    assert message["messageData"]["file"] == {
        "caption": "a.gif",
        "relativePath": upload["relativePath"],
        "fileType": "GIF",
    }


def test_an_unknown_conversation_is_none(app):
    assert _search(app, app.bearer(), "no-such-conversation") is None


def test_it_sends_the_documented_request(app, sandbox):
    _search(app, app.bearer(), "c1")

    (request,) = sandbox.requests_to("msgHist")
    assert (
        request.path
        == "/sandbox/msghist/messaging_history/api/account/90000001/conversations/conversation/search"
    )
    assert request.query["source"] == ["ConnectorSiteChat"]
    assert request.headers["Authorization"] == "********"
    assert request.body["conversationId"] == "c1"


def test_a_bad_bearer_is_unauthorized(app):
    with pytest.raises(errors.UnauthorizedError):
        _search(app, "not-a-bearer", "c1")
