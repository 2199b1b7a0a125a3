"""sandbox.send_api: what each Send API request does to the sandbox's
conversations, and what it tells the scripted agent (the HTTP side is in
test_views_messaging and liveperson/tests/test_send_api)."""

import json
import time
import uuid

import pytest
from django.utils import timezone

from sandbox import connector_auth, send_api, swift
from sandbox.models import Account, Consumer, Installation, MessagingConversation, Notification, StoredFile
from sandbox.services import sandbox_seed

pytestmark = pytest.mark.django_db
# What a survey needs, so that closing on the survey skill opens one (docs/LIVEPERSON.md, 'Features').
FEATURES = ["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"]
PROPERTIES = send_api.ClientProperties(
    raw={"type": ".ClientProperties", "features": FEATURES}, features=FEATURES
)


@pytest.fixture
def reactions(monkeypatch):
    """What the scripted agent was told (its own behaviour is tested with the agent)."""
    told = []
    monkeypatch.setattr(
        "sandbox.agent.react",
        lambda conversation, *, trigger, record=None: told.append((trigger, record and record.sequence)),
    )
    return told


@pytest.fixture
def caller() -> connector_auth.Caller:
    sandbox_seed()
    account = Account.objects.get(account_id="90000001")
    installation = Installation.objects.create(
        account=account,
        client_id=str(uuid.uuid4()),
        client_secret="s",
        client_id_issued_at=int(time.time()),
        data={
            "enabled": True,
            "capabilities": {
                "webhooks": {"cqm.ExConversationChangeNotification": {"endpoint": "https://h/e"}}
            },
        },
    )
    consumer = Consumer.objects.create(account=account, ext_consumer_id="c", lp_consumer_id="a" * 64)
    return connector_auth.Caller(account=account, installation=installation, consumer=consumer)


def _open(caller, skill_id="-1") -> str:
    body = {"brandId": "90000001", "channelType": "MESSAGING", "skillId": skill_id}
    items = [
        {"kind": "req", "id": "1", "type": "userprofile.SetUserProfile", "body": {}},
        {"kind": "req", "id": "2", "type": "cm.ConsumerRequestConversation", "body": body},
    ]
    _, answer = send_api.conversation_request(caller=caller, items=items, properties=PROPERTIES)
    return answer["body"]["conversationId"]


def _send(caller, request_type, body, **extra):
    request = {"kind": "req", "id": "r", "type": request_type, "body": body, **extra}
    return send_api.send_request(caller=caller, request=request, properties=PROPERTIES)


def _close_main(conversation_id):
    dialog = {"dialogId": conversation_id, "state": "CLOSE", "closedCause": "Bye"}
    return {
        "conversationId": conversation_id,
        "conversationField": {"field": "DialogChange", "type": "UPDATE", "dialog": dialog},
    }


def test_opening_tells_the_agent_and_the_apps_webhook(caller, reactions):
    conversation_id = _open(caller)

    assert reactions == [("opened", None)]
    conversation = MessagingConversation.objects.get(conversation_id=conversation_id)
    assert conversation.installation == caller.installation
    assert conversation.features == FEATURES
    assert Notification.objects.get().webhook == "cqm.ExConversationChangeNotification"


def test_each_consumer_event_is_handed_to_the_agent(caller, reactions):
    conversation_id = _open(caller)
    event = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}

    _send(caller, "ms.PublishEvent", {"dialogId": conversation_id, "event": event})
    _send(
        caller,
        "ms.PublishEvent",
        {"dialogId": conversation_id, "event": {"type": "ChatStateEvent", "chatState": "PAUSE"}},
    )

    assert reactions[1:] == [("consumer_event", 0), ("consumer_event", None)]


def test_closing_the_main_dialog_on_a_survey_skill_tells_the_agent_the_survey_opened(caller, reactions):
    conversation_id = _open(caller, skill_id="90001")

    _send(caller, "cm.UpdateConversationField", _close_main(conversation_id))

    assert reactions[-1] == ("survey_opened", None)
    main = MessagingConversation.objects.get().dialogs.get(dialog_type="MAIN")
    assert (main.closed_by, main.closed_cause) == ("CONSUMER", "Bye")


def test_closing_the_survey_dialog_closes_the_conversation(caller, reactions):
    conversation_id = _open(caller, skill_id="90001")
    _send(caller, "cm.UpdateConversationField", _close_main(conversation_id))
    survey = MessagingConversation.objects.get().dialogs.get(dialog_type="POST_SURVEY")
    dialog = {"dialogId": survey.dialog_id, "state": "CLOSE"}

    _send(
        caller,
        "cm.UpdateConversationField",
        {
            "conversationId": conversation_id,
            "conversationField": {"field": "DialogChange", "type": "UPDATE", "dialog": dialog},
        },
    )

    assert reactions[-1] == ("closed", None)
    assert MessagingConversation.objects.get().stage == "CLOSE"


def _close_with(caller, conversation_id, field):
    body = {
        "conversationId": conversation_id,
        "conversationField": {"field": field, "conversationState": "CLOSE"},
    }
    return _send(caller, "cm.UpdateConversationField", body)


@pytest.mark.parametrize("state_field_close", ["survey", "all"])
def test_closing_with_stage_skips_the_survey_and_tells_the_agent(caller, reactions, state_field_close):
    Account.objects.filter(pk=caller.account.pk).update(state_field_close=state_field_close)
    conversation_id = _open(caller, skill_id="90001")

    _close_with(caller, conversation_id, "Stage")

    conversation = MessagingConversation.objects.get()
    assert reactions[-1] == ("closed", None)
    assert not conversation.dialogs.filter(dialog_type="POST_SURVEY").exists()
    assert (conversation.state, conversation.stage) == ("CLOSE", "CLOSE")


def test_closing_with_the_conversation_state_field_starts_the_survey_by_default(caller, reactions):
    # The docs skip the survey with Stage, so this close may start it (docs/LIVEPERSON.md, 'Closing').
    conversation_id = _open(caller, skill_id="90001")

    _close_with(caller, conversation_id, "ConversationStateField")

    conversation = MessagingConversation.objects.get()
    assert reactions[-1] == ("survey_opened", None)
    assert conversation.dialogs.get(dialog_type="POST_SURVEY").state == "OPEN"
    assert (conversation.state, conversation.stage) == ("CLOSE", "OPEN")


def test_closing_with_the_conversation_state_field_closes_everything_when_switched(caller, reactions):
    Account.objects.filter(pk=caller.account.pk).update(state_field_close="all")
    conversation_id = _open(caller, skill_id="90001")

    _close_with(caller, conversation_id, "ConversationStateField")

    conversation = MessagingConversation.objects.get()
    assert reactions[-1] == ("closed", None)
    assert (conversation.state, conversation.stage) == ("CLOSE", "CLOSE")


def test_a_csat_rate_is_accepted_in_a_list_of_fields(caller, reactions):
    conversation_id = _open(caller)
    fields = [{"field": "CSATRate", "csatRate": 5, "csatResolutionConfirmation": True, "status": "FILLED"}]

    answer = _send(
        caller, "cm.UpdateConversationField", {"conversationId": conversation_id, "conversationField": fields}
    )

    assert answer["code"] == "OK"


def test_a_csat_rate_out_of_range_is_refused(caller):
    conversation_id = _open(caller)

    with pytest.raises(send_api.RequestInvalidError):
        _send(
            caller,
            "cm.UpdateConversationField",
            {"conversationId": conversation_id, "conversationField": {"field": "CSATRate", "csatRate": 9}},
        )


def test_a_failed_field_change_changes_nothing(caller, reactions):
    conversation_id = _open(caller)
    fields = [
        {"field": "ConversationStateField", "conversationState": "CLOSE"},
        {"field": "DialogChange", "type": "UPDATE", "dialog": {"dialogId": "nope", "state": "CLOSE"}},
    ]

    with pytest.raises(send_api.RequestInvalidError):
        _send(
            caller,
            "cm.UpdateConversationField",
            {"conversationId": conversation_id, "conversationField": fields},
        )

    assert MessagingConversation.objects.get().stage == "OPEN"


def test_metadata_must_be_a_list(caller):
    conversation_id = _open(caller)
    event = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}

    with pytest.raises(send_api.RequestInvalidError):
        _send(caller, "ms.PublishEvent", {"dialogId": conversation_id, "event": event}, metadata={"a": 1})


# --- What LivePerson accepts that the sandbox once refused, and the reverse (issue 15, item 9) ---


def test_set_user_profile_through_send_updates_the_open_conversation(caller, reactions):
    # The SEND page: "set user profile (send SDEs)" (docs/LIVEPERSON.md, 'Send API: SEND').
    conversation_id = _open(caller)
    sdes = {"authenticatedData": {"lp_sdes": [{"type": "ctmrinfo", "info": {"ctype": "vip"}}]}}

    answer = _send(caller, "userprofile.SetUserProfile", sdes)

    assert answer == {"reqId": "r", "code": "OK", "body": {"msg": "OK User Profile set successfully"}}
    assert MessagingConversation.objects.get(conversation_id=conversation_id).consumer_profile == sdes


def test_ttr_field_marks_the_conversation_urgent(caller, reactions):
    conversation_id = _open(caller)

    _send(
        caller,
        "cm.UpdateConversationField",
        {
            "conversationId": conversation_id,
            "conversationField": [{"field": "TTRField", "ttrType": "URGENT"}],
        },
    )

    conversation = MessagingConversation.objects.get()
    assert conversation.ttr_type == "URGENT"
    last = json.loads(Notification.objects.order_by("pk").last().body)
    assert last["body"]["changes"][0]["result"]["conversationDetails"]["ttr"]["ttrType"] == "URGENT"


@pytest.mark.parametrize("field", [{"ttrType": "SOON"}, {"ttrType": "URGENT", "value": -1}])
def test_a_ttr_field_outside_the_schema_is_refused(caller, field):
    conversation_id = _open(caller)
    body = {"conversationId": conversation_id, "conversationField": {"field": "TTRField", **field}}

    with pytest.raises(send_api.RequestInvalidError):
        _send(caller, "cm.UpdateConversationField", body)


def test_a_hosted_file_without_caption_is_accepted(caller, reactions):
    # Optional on the Examples page, required by HostedFile.json
    # (docs/LIVEPERSON.md, 'Send API: file sharing').
    conversation_id = _open(caller)
    stored = swift.upload_slot_create(account=caller.account, file_type="PNG", file_size=10)
    StoredFile.objects.filter(pk=stored.pk).update(content=b"x" * 10, uploaded_at=timezone.now())
    message = {"relativePath": stored.relative_path, "fileType": "PNG"}
    event = {"type": "ContentEvent", "contentType": "hosted/file", "message": message}

    answer = _send(caller, "ms.PublishEvent", {"dialogId": conversation_id, "event": event})

    assert answer["body"] == {"sequence": 0}


def test_chat_states_on_the_survey_dialog_are_refused(caller, reactions):
    conversation_id = _open(caller, skill_id="90001")
    _send(caller, "cm.UpdateConversationField", _close_main(conversation_id))
    survey = MessagingConversation.objects.get().dialogs.get(dialog_type="POST_SURVEY")
    event = {"type": "ChatStateEvent", "chatState": "COMPOSING"}

    with pytest.raises(send_api.RequestInvalidError, match="POST_SURVEY"):
        _send(caller, "ms.PublishEvent", {"dialogId": survey.dialog_id, "event": event})

    assert not survey.events.exists()
