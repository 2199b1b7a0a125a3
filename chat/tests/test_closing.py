"""The chat's two closes against the sandbox over real HTTP (docs/LIVEPERSON.md, 'Closing'):
"Close (no survey)" must skip the survey whatever ConversationStateField does on the account;
"Close with survey" closes only MAIN, so the survey starts on a survey skill."""

import pytest

from chat import actions
from chat.tests.conftest import start
from sandbox.models import Account as SandboxAccount
from sandbox.models import MessagingConversation
from sandbox.tests.agent_factories import drain

pytestmark = pytest.mark.django_db(transaction=True)

SURVEY_SKILL = "90001"  # the seeded account's survey skill


def _sandbox_side(chat) -> MessagingConversation:
    return MessagingConversation.objects.get(conversation_id=chat.conversation_id)


@pytest.mark.parametrize("state_field_close", ["survey", "all"])
def test_close_skips_the_survey_whatever_the_state_field_does(admin, chat_app, state_field_close):
    # By default the sandbox's ConversationStateField CLOSE starts the survey, as the docs imply.
    SandboxAccount.objects.filter(account_id="90000001").update(state_field_close=state_field_close)
    chat = start(admin, chat_app, first_message="Hello", survey_skill_id=SURVEY_SKILL)
    drain()

    actions.conversation_close(conversation=chat)

    closed = _sandbox_side(chat)
    assert (closed.state, closed.stage) == ("CLOSE", "CLOSE")
    assert not closed.dialogs.filter(dialog_type="POST_SURVEY").exists()


@pytest.mark.parametrize("state_field_close", ["survey", "all"])
def test_close_with_survey_starts_it_on_a_survey_skill(admin, chat_app, state_field_close):
    SandboxAccount.objects.filter(account_id="90000001").update(state_field_close=state_field_close)
    chat = start(admin, chat_app, first_message="Hello", survey_skill_id=SURVEY_SKILL)
    drain()

    actions.conversation_close_for_survey(conversation=chat)

    in_survey = _sandbox_side(chat)
    assert (in_survey.state, in_survey.stage) == ("CLOSE", "OPEN")
    assert in_survey.dialogs.get(dialog_type="POST_SURVEY").state == "OPEN"


def test_the_page_labels_both_closes(admin, chat_app):
    chat = start(admin, chat_app, first_message="")

    page = admin.get(f"/chat/{chat.pk}/").content.decode()

    assert ">Close (no survey)</button>" in page
    assert ">Close with survey</button>" in page
