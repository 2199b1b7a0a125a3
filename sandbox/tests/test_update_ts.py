"""metaDataLastUpdateTs (docs/LIVEPERSON.md, 'Conversation changes'): the clock's milliseconds,
which two changes in one millisecond share, or, switched per account, always later."""

import pytest

from sandbox import messaging
from sandbox.models import Account
from sandbox.tests.agent_factories import conversation_changes, open_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_clock(monkeypatch):
    """Every change within one millisecond."""
    monkeypatch.setattr(messaging, "now_ms", lambda: 1_700_000_000_000)


def _assign_and_close(installation):
    conversation = open_conversation(installation)
    locked = messaging.conversation_locked(conversation.conversation_id)
    messaging.assign_agent(locked)
    messaging.close_conversation(locked, closed_by="AGENT", cause="Done")
    return conversation_changes(conversation)


def test_changes_in_one_millisecond_share_the_timestamp_by_default(installation, frozen_clock):
    opened, assigned, closed = _assign_and_close(installation)

    stamps = {c["conversationDetails"]["metaDataLastUpdateTs"] for c in (opened, assigned, closed)}
    assert stamps == {1_700_000_000_000}
    assert closed["conversationDetails"]["state"] == "CLOSE"


def test_an_account_can_have_every_change_later_than_the_previous(installation, frozen_clock):
    Account.objects.filter(pk=installation.account_id).update(update_ts="unique")
    installation.account.refresh_from_db()

    changes = _assign_and_close(installation)

    stamps = [c["conversationDetails"]["metaDataLastUpdateTs"] for c in changes]
    assert stamps == [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002]
