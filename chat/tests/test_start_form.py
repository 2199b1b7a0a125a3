"""The start form refuses what cannot work on LivePerson (docs/LIVEPERSON.md, 'Features'):
a survey skill without the features a survey needs opens a conversation whose survey never runs."""

from types import SimpleNamespace

import pytest

from chat.forms import ConversationStartForm
from chat.starting import SURVEY_FEATURES

APPS = [SimpleNamespace(client_id="app-1", name="Chat bot")]


def _form(**overrides) -> ConversationStartForm:
    data = {
        "client_id": "app-1",
        "consumer_name": "Kim",
        "features": ["AUTO_MESSAGES", *SURVEY_FEATURES],
        "skill_id": "-1",
        "survey_skill_id": "90001",
        "first_message": "Hello",
        **overrides,
    }
    return ConversationStartForm(data, apps=APPS)


@pytest.mark.parametrize("missing", SURVEY_FEATURES)
def test_a_survey_skill_needs_every_survey_feature(missing):
    form = _form(features=[name for name in SURVEY_FEATURES if name != missing])

    assert not form.is_valid()
    [message] = form.errors["survey_skill_id"]
    assert f"tick {missing}" in message
    assert "or leave the survey skill empty" in message


def test_a_survey_skill_with_its_features_is_fine():
    assert _form().is_valid()


def test_without_a_survey_skill_any_features_will_do():
    assert _form(survey_skill_id="", features=[]).is_valid()
