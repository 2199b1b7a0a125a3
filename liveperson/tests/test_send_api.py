"""The Send API client against the sandbox's Send API, over real HTTP: every
request type, the answers, and the authorization errors
(docs/LIVEPERSON.md, 'Connector authorization: error responses')."""

import json

import pytest

from liveperson import errors, send_api
from sandbox.models import Account, Dialog, MessagingConversation, MessagingEvent


def _conversation(opened) -> MessagingConversation:
    return MessagingConversation.objects.get(conversation_id=opened.conversation_id)


def _publish(app, auth, conversation_id, event, *, dialog_id=None, metadata=None):
    request = send_api.publish_event(
        conversation_id=conversation_id,
        dialog_id=dialog_id or conversation_id,
        event=event,
        metadata=metadata,
    )
    return app.send(auth, request)


# --- CONVERSATION --------------------------------------------------------------------


def test_it_opens_a_conversation(app):
    auth = app.consumer(features=("AUTO_MESSAGES", "RICH_CONTENT"))

    opened = app.open(auth, skillId="90001", campaignInfo={"campaignId": 1, "engagementId": 2})

    conversation = _conversation(opened)
    assert (conversation.state, conversation.stage) == ("OPEN", "OPEN")
    assert conversation.features == ["AUTO_MESSAGES", "RICH_CONTENT"]
    assert (conversation.skill_id, conversation.campaign_id, conversation.engagement_id) == (
        "90001",
        "1",
        "2",
    )
    assert conversation.consumer_profile["firstName"] == "Kim"
    assert conversation.installation.client_id == app.client_id
    assert [item["code"] for item in opened.response] == ["OK", "OK"]


def test_it_sends_the_documented_array_and_headers(app, sandbox):
    app.open(app.consumer(features=("QUICK_REPLIES",)))

    (request,) = sandbox.requests_to("asyncMessagingEnt", "/conversation")
    assert request.query == {"v": ["3"]}
    assert [item["type"] for item in request.body] == [
        "userprofile.SetUserProfile",
        "cm.ConsumerRequestConversation",
    ]
    assert request.body[1]["body"]["brandId"] == "90000001"
    assert request.body[1]["body"]["channelType"] == "MESSAGING"
    assert request.headers["Authorization"] == request.headers["X-Lp-On-Behalf"] == "********"
    assert json.loads(request.headers["Client-Properties"]) == {
        "type": ".ClientProperties",
        "features": ["QUICK_REPLIES"],
    }


def test_a_refused_item_raises_with_livepersons_message(app):
    auth = app.consumer()
    app.open(auth)

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.open(auth)  # one open conversation per consumer

    assert caught.value.detail == "The consumer already has an open conversation"


def test_a_consumer_may_open_again_once_closed(app):
    auth = app.consumer()
    first = app.open(auth)
    app.send(auth, send_api.close_conversation(first.conversation_id))

    second = app.open(auth)

    assert second.conversation_id != first.conversation_id


def test_a_bad_conversation_request_raises_with_the_sandboxs_reason(app):
    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.open(app.consumer(), brandId="12345")

    assert caught.value.status == 400
    assert "brandId" in caught.value.detail


# --- SEND: ms.PublishEvent ------------------------------------------------------------


def test_each_message_gets_the_next_sequence(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id

    first = app.text(auth, conversation_id, "hello")
    second = app.text(auth, conversation_id, "again")

    assert first["code"] == second["code"] == "OK"
    assert (first["body"]["sequence"], second["body"]["sequence"]) == (0, 1)
    assert first["reqId"]


def test_a_message_is_stored_with_the_client_properties(app):
    auth = app.consumer(features=("RICH_CONTENT",))
    conversation_id = app.open(auth).conversation_id

    app.text(auth, conversation_id, "hello")

    event = MessagingEvent.objects.get()
    assert event.event == {"type": "ContentEvent", "contentType": "text/plain", "message": "hello"}
    assert event.role == "CONSUMER"
    assert event.client_properties == {"type": ".ClientProperties", "features": ["RICH_CONTENT"]}


def test_a_chat_state_takes_no_sequence(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id

    answer = _publish(app, auth, conversation_id, send_api.chat_state_event("COMPOSING"))

    assert answer["code"] == "OK"
    assert "sequence" not in answer["body"]
    assert MessagingEvent.objects.get().sequence is None


def test_an_accept_status_is_stored(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id

    answer = _publish(app, auth, conversation_id, send_api.accept_status_event("READ", [0, 1]))

    assert answer["body"]["sequence"] == 0
    assert MessagingEvent.objects.get().event["sequenceList"] == [0, 1]


def test_request_metadata_is_kept_on_the_event(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    metadata = [{"type": "Question", "id": "q1", "surveyId": "s1"}]

    _publish(app, auth, conversation_id, send_api.accept_status_event("ACTION", [0]), metadata=metadata)

    assert MessagingEvent.objects.get().metadata == metadata


def test_an_invalid_event_is_refused(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        _publish(app, auth, conversation_id, send_api.chat_state_event("SLEEPING"))

    assert caught.value.status == 400
    assert "chatState" in caught.value.detail


# --- SEND: cm.UpdateConversationField --------------------------------------------------


def test_closing_the_conversation_closes_everything(app):
    auth = app.consumer()
    conversation_id = app.open(auth, skillId="90001").conversation_id

    answer = app.send(auth, send_api.close_conversation(conversation_id))

    conversation = MessagingConversation.objects.get()
    assert answer["code"] == "OK"
    assert (conversation.state, conversation.stage, conversation.close_reason) == (
        "CLOSE",
        "CLOSE",
        "CONSUMER",
    )
    assert not conversation.dialogs.filter(state="OPEN").exists()


def test_events_to_a_closed_dialog_are_refused(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    app.send(auth, send_api.close_conversation(conversation_id))

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.text(auth, conversation_id, "anyone?")

    assert caught.value.status == 400
    assert caught.value.detail == "The dialog is closed"


def test_closing_the_main_dialog_on_a_survey_skill_opens_the_survey(app):
    auth = app.consumer(features=("RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"))
    conversation_id = app.open(auth, skillId="90001").conversation_id

    app.send(auth, send_api.close_dialog(conversation_id=conversation_id, dialog_id=conversation_id))

    conversation = MessagingConversation.objects.get()
    survey = conversation.dialogs.get(dialog_type=Dialog.Type.POST_SURVEY)
    assert (conversation.state, conversation.stage) == ("CLOSE", "OPEN")
    assert conversation.dialogs.get(dialog_type=Dialog.Type.MAIN).closed_cause == "Closed by consumer"
    assert survey.state == "OPEN"
    answer = _publish(app, auth, conversation_id, send_api.text_event("5"), dialog_id=survey.dialog_id)
    assert answer["code"] == "OK"


def test_closing_the_main_dialog_without_a_survey_closes_the_conversation(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id

    app.send(auth, send_api.close_dialog(conversation_id=conversation_id, dialog_id=conversation_id))

    conversation = MessagingConversation.objects.get()
    assert (conversation.state, conversation.stage) == ("CLOSE", "CLOSE")


def test_closing_a_closed_conversation_is_refused(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    app.send(auth, send_api.close_conversation(conversation_id))

    with pytest.raises(errors.UnexpectedResponseError):
        app.send(auth, send_api.close_conversation(conversation_id))


# --- SEND: file URLs (the round trip through swift is in test_swift) -----------------------


def test_an_upload_url_has_swifts_shape(app):
    auth = app.consumer()

    answer = app.send(auth, send_api.upload_url(file_size=1234, file_type="PNG"))

    body = answer["body"]
    assert answer["code"] == "OK"
    assert body["relativePath"].startswith("/v1/AUTH_async-images/90000001/")
    assert "_uuid_" in body["relativePath"]
    assert body["relativePath"].endswith(".PNG")
    assert len(body["queryParams"]["temp_url_sig"]) == 40
    assert int(body["queryParams"]["temp_url_expires"]) > 0


@pytest.mark.parametrize(("size", "file_type"), [(1234, "BMP"), (3 * 1024 * 1024 + 1, "PNG"), (0, "GIF")])
def test_an_upload_url_outside_the_limits_is_refused(app, size, file_type):
    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.send(app.consumer(), send_api.upload_url(file_size=size, file_type=file_type))

    assert caught.value.status == 400


def test_no_upload_url_without_file_sharing(app):
    Account.objects.filter(account_id="90000001").update(file_sharing=False)

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.send(app.consumer(), send_api.upload_url(file_size=1234, file_type="PNG"))

    assert "File sharing" in caught.value.detail


def test_a_download_url_needs_an_uploaded_file(app):
    with pytest.raises(errors.UnexpectedResponseError):
        app.send(app.consumer(), send_api.download_url("/v1/AUTH_async-images/90000001/nothing.PNG"))


# --- Authorization errors (docs/LIVEPERSON.md, 'Connector authorization: error responses') ---


def test_an_expired_app_jwt_raises_app_jwt_invalid(app, settings):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    settings.SANDBOX_APP_JWT_SECONDS = -1
    expired = send_api.ConsumerAuth(app_jwt=app.app_jwt(), consumer_jws=auth.consumer_jws)

    with pytest.raises(errors.AppJwtInvalidError) as caught:
        app.text(expired, conversation_id, "x")

    assert (caught.value.error_code, caught.value.status) == (40102, 401)
    assert caught.value.detail == "Invalid AppJWT: AppJWT has expired or is invalid"


def test_a_missing_app_jwt_raises_app_jwt_invalid(app):
    auth = app.consumer()

    with pytest.raises(errors.AppJwtInvalidError) as caught:
        app.open(send_api.ConsumerAuth(app_jwt="", consumer_jws=auth.consumer_jws))

    assert caught.value.error_code == 40105


def test_a_missing_consumer_jws_raises_consumer_jws_invalid(app):
    with pytest.raises(errors.ConsumerJwsInvalidError) as caught:
        app.open(send_api.ConsumerAuth(app_jwt=app.app_jwt(), consumer_jws=""))

    assert caught.value.error_code == 40104
    assert caught.value.detail == "ConsumerJWS is missing: X_ON_BEHALF_HEADER is not present"


def test_a_garbled_consumer_jws_raises_consumer_jws_invalid(app):
    with pytest.raises(errors.ConsumerJwsInvalidError) as caught:
        app.open(send_api.ConsumerAuth(app_jwt=app.app_jwt(), consumer_jws="a.b.c"))

    assert caught.value.error_code == 40103


def test_a_consumer_cannot_use_another_consumers_conversation(app):
    alice, bob = app.consumer("alice"), app.consumer("bob")
    conversation_id = app.open(alice).conversation_id

    with pytest.raises(errors.ConsumerJwsInvalidError) as caught:
        app.text(bob, conversation_id, "hijack")
    with pytest.raises(errors.ConsumerJwsInvalidError):
        app.send(bob, send_api.close_conversation(conversation_id))

    assert caught.value.error_code == 40103
    assert not MessagingEvent.objects.exists()
    assert MessagingConversation.objects.get().stage == "OPEN"


def test_auth_errors_are_unauthorized_errors(app):
    with pytest.raises(errors.UnauthorizedError):
        app.open(send_api.ConsumerAuth(app_jwt="", consumer_jws=""))


# --- Answers in other shapes (docs/LIVEPERSON.md, 'Response bodies') --------------------


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("documented", {"reqId", "code", "body"}),
        ("no_body", {"reqId", "code"}),
        ("empty", set()),
    ],
)
def test_any_2xx_answer_to_send_is_accepted(app, shape, expected):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    Account.objects.filter(account_id="90000001").update(send_answer=shape)

    answer = app.text(auth, conversation_id, f"answered {shape}")

    assert set(answer) == expected
    assert MessagingEvent.objects.filter(event__message=f"answered {shape}").count() == 1


def test_a_2xx_that_is_not_json_may_have_been_carried_out(app, sandbox):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    sandbox.fault("garbage", service="asyncMessagingEnt")

    with pytest.raises(errors.AnswerUnreadableError) as raised:
        app.text(auth, conversation_id, "unreadable")

    assert raised.value.status == 200
    assert "reload" in errors.user_message(raised.value)  # not "failed": it may have been sent


def test_file_urls_keep_their_body_whatever_the_answer_shape(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    Account.objects.filter(account_id="90000001").update(send_answer="empty")

    answer = app.send(auth, send_api.upload_url(file_size=1000, file_type="PNG"))

    assert answer["body"]["relativePath"].startswith("/v1/")
    assert conversation_id
