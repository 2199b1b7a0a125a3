"""sandbox.send_api: what each Send API request does to the sandbox's
conversations, and what it tells the scripted agent (the HTTP side is in
test_views_messaging and liveperson/tests/test_send_api)."""

import time
import uuid

import pytest

from sandbox import connector_auth, send_api
from sandbox.models import Account, Consumer, Installation, MessagingConversation, Notification
from sandbox.services import sandbox_seed

pytestmark = pytest.mark.django_db
PROPERTIES = send_api.ClientProperties(raw={"type": ".ClientProperties", "features": ["X"]}, features=["X"])


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
    items = [{"kind": "req", "id": "1", "type": "cm.ConsumerRequestConversation", "body": body}]
    (answer,) = send_api.conversation_request(caller=caller, items=items, properties=PROPERTIES)
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
    assert conversation.features == ["X"]
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


@pytest.mark.parametrize("field", ["ConversationStateField", "Stage"])
def test_closing_the_conversation_skips_the_survey_and_tells_the_agent(caller, reactions, field):
    conversation_id = _open(caller, skill_id="90001")

    _send(
        caller,
        "cm.UpdateConversationField",
        {
            "conversationId": conversation_id,
            "conversationField": {"field": field, "conversationState": "CLOSE"},
        },
    )

    conversation = MessagingConversation.objects.get()
    assert reactions[-1] == ("closed", None)
    assert not conversation.dialogs.filter(dialog_type="POST_SURVEY").exists()
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
