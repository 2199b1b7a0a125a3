"""The chat's services (starting, actions, state, history...) against the sandbox over real HTTP."""

import pytest
from django.db import connection

from accounts.models import User
from apps_admin import services as apps_services
from apps_admin.tests.conftest import lp_of
from chat import actions, exceptions, installations, selectors, starting, state
from chat.models import AppToken, ChatConversation, ChatRequest
from chat.state import CONVERSATION_CHANGE
from chat.tests.conftest import start, user_of
from sandbox.models import MessagingConversation, MessagingEvent, RequestLog
from webhooks.models import Conversation as WebhookConversation

pytestmark = pytest.mark.django_db(transaction=True)


def _upsert(ts: int, *, state="OPEN", stage="OPEN", dialogs=()) -> dict:
    details = {"state": state, "stage": stage, "metaDataLastUpdateTs": ts, "dialogs": list(dialogs)}
    return {
        "notification_type": CONVERSATION_CHANGE,
        "payload": {"type": "UPSERT", "result": {"convId": "c", "conversationDetails": details}},
    }


def test_start_opens_the_conversation_with_the_chosen_options(admin, chat_app):
    chat = start(
        admin,
        chat_app,
        first_message="Hello",
        consumer_name="Ann",
        features=["AUTO_MESSAGES", "RICH_CONTENT"],
        campaign_id="11",
        engagement_id="22",
        ttr="URGENT",
    )

    opened = MessagingConversation.objects.get(conversation_id=chat.conversation_id)
    assert (opened.campaign_id, opened.engagement_id, opened.ttr_type) == ("11", "22", "URGENT")
    assert opened.features == ["AUTO_MESSAGES", "RICH_CONTENT"]
    assert opened.installation.client_id == chat_app.client_id
    assert (chat.main_dialog_id, chat.dialog_id) == (chat.conversation_id, chat.conversation_id)
    first = MessagingEvent.objects.get(conversation=opened, role="CONSUMER")
    assert first.event["message"] == "Hello"


def test_every_send_api_call_carries_the_features(admin, chat_app):
    start(admin, chat_app, first_message="Hello", features=["AUTO_MESSAGES"])

    sent = RequestLog.objects.filter(service="asyncMessagingEnt").order_by("id")
    assert len(sent) == 2
    assert all('"AUTO_MESSAGES"' in str(r.headers.get("Client-Properties", "")) for r in sent)


def test_a_survey_skill_opens_on_it_with_the_features_a_survey_needs(admin, chat_app):
    chat = start(
        admin, chat_app, first_message="", survey_skill_id="90001", features=starting.SURVEY_FEATURES
    )

    opened = MessagingConversation.objects.get(conversation_id=chat.conversation_id)
    assert opened.skill_id == "90001"
    assert chat.features == starting.SURVEY_FEATURES


def test_a_survey_skill_without_the_survey_features_is_refused_before_liveperson(admin, chat_app):
    # LivePerson would open the conversation and never run the survey (docs/LIVEPERSON.md, 'Features').
    with pytest.raises(exceptions.ChatError, match="MULTI_DIALOG"):
        start(admin, chat_app, first_message="", survey_skill_id="90001", features=["RICH_CONTENT"])

    assert not MessagingConversation.objects.exists()


def test_the_app_jwt_is_cached_encrypted_and_shared(admin, chat_app):
    start(admin, chat_app, first_message="")
    start(admin, chat_app, first_message="", new_consumer=True)

    assert RequestLog.objects.filter(service="sentinel").count() == 1
    token = AppToken.objects.get(installation=chat_app)
    assert token.token not in _stored(AppToken, "token_encrypted", token.pk)


def test_the_consumer_jws_is_stored_encrypted(admin, chat_app):
    chat = start(admin, chat_app, first_message="")

    assert chat.consumer_jws
    assert chat.consumer_jws not in _stored(ChatConversation, "consumer_jws_encrypted", chat.pk)


def test_start_refuses_an_app_of_another_account(admin, chat_app, qa_admin):
    with pytest.raises(exceptions.ChatError, match="not installed on your account"):
        start(qa_admin, chat_app)


def test_start_refuses_unknown_features(admin, chat_app):
    with pytest.raises(exceptions.ChatError, match="Unknown features"):
        start(admin, chat_app, features=["TELEPATHY"])


def test_start_reports_liveperson_down_without_a_conversation(admin, chat_app, sandbox):
    sandbox.fault("down", service="asyncMessagingEnt")

    with pytest.raises(exceptions.ChatError, match="LivePerson"):
        start(admin, chat_app)
    assert not ChatConversation.objects.exists()


def test_start_creates_the_webhook_conversation_to_subscribe_to(admin, chat_app):
    chat = start(admin, chat_app, first_message="")

    assert WebhookConversation.objects.filter(
        account_id="90000001", conversation_id=chat.conversation_id
    ).exists()


def test_the_console_keeps_every_call_of_the_conversation(admin, chat_app):
    chat = start(admin, chat_app, first_message="Hello")

    rows = list(ChatRequest.objects.filter(conversation=chat).order_by("id"))
    assert [r.service for r in rows] == ["sentinel", "idp", "asyncMessagingEnt", "asyncMessagingEnt"]
    assert rows[0].request_body["client_secret"] == "********"
    assert rows[1].response_body["token"] == "********"


def test_chat_states_are_not_sent_during_a_survey(admin, chat_app):
    chat = start(admin, chat_app, first_message="", survey_skill_id="90001")
    chat.dialog_id = "survey-dialog"
    before = RequestLog.objects.filter(service="asyncMessagingEnt").count()

    actions.conversation_chat_state(conversation=chat, state="COMPOSING")

    assert RequestLog.objects.filter(service="asyncMessagingEnt").count() == before


def test_changes_move_state_stage_and_dialog_forward_only(admin, chat_app):
    chat = start(admin, chat_app, first_message="")
    survey = {"dialogId": "s1", "dialogType": "POST_SURVEY", "state": "OPEN"}

    assert state.conversation_apply_changes(
        conversation=chat, events=[_upsert(20, state="CLOSE", dialogs=[survey]), _upsert(10)]
    )
    assert (chat.state, chat.stage, chat.dialog_id, chat.in_survey) == ("CLOSE", "OPEN", "s1", True)
    assert not state.conversation_apply_changes(conversation=chat, events=[_upsert(15)])
    assert state.conversation_apply_changes(
        conversation=chat, events=[_upsert(30, state="CLOSE", stage="CLOSE", dialogs=[survey])]
    )
    assert (chat.closed, chat.in_survey) == (True, False)


def test_a_change_sharing_the_applied_timestamp_still_applies(admin, chat_app):
    # Two changes in one millisecond share metaDataLastUpdateTs (docs/LIVEPERSON.md,
    # 'Conversation changes'): the one received last wins, whether in one batch or two.
    chat = start(admin, chat_app, first_message="")
    state.conversation_apply_changes(conversation=chat, events=[{**_upsert(40), "seq": 1}])

    assert state.conversation_apply_changes(
        conversation=chat, events=[{**_upsert(40, state="CLOSE", stage="CLOSE"), "seq": 2}]
    )
    assert chat.closed
    assert not state.conversation_apply_changes(conversation=chat, events=[{**_upsert(39), "seq": 3}])

    other = start(admin, chat_app, first_message="", new_consumer=True)
    closed = {**_upsert(40, state="CLOSE", stage="CLOSE"), "seq": 2}
    assert state.conversation_apply_changes(conversation=other, events=[closed, {**_upsert(40), "seq": 1}])
    assert other.closed


def test_demo_installations_flags_apps_whose_webhooks_go_elsewhere(admin, chat_app):
    other = apps_services.installation_create(
        lp=lp_of(admin), name="Elsewhere", description="x", endpoint="https://example.com/hooks"
    )
    user = user_of(admin)
    here = f"https://{chat_app.endpoints[next(iter(chat_app.endpoints))].split('://', 1)[1]}"

    apps = {app.client_id: app for app in installations.demo_installations(user=user, demo_url=here)}

    assert apps[chat_app.client_id].webhooks_here
    assert not apps[other["client_id"]].webhooks_here


def test_selectors_show_only_the_accounts_conversations(admin, chat_app, qa_admin):
    chat = start(admin, chat_app, first_message="")
    qa_user = user_of(qa_admin)
    local = User.objects.create(username="operator")

    assert list(selectors.conversations_for(user=user_of(admin))) == [chat]
    assert selectors.conversation_for(pk=chat.pk, user=qa_user) is None
    assert selectors.conversation_for(pk=chat.pk, user=local) is None


def _stored(model, column: str, pk: int) -> str:
    """What the column holds, past the field's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]
