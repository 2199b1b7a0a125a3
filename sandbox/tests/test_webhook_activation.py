"""A new app is not recognised by Webhooks at once: "it can take up to two minutes that
your app was recognized by Webhooks" (docs/LIVEPERSON.md, 'Webhook activation'). Until
then, the sandbox calls none of its endpoints; afterwards it delivers as usual. The delay
is per sandbox account (webhook_activation_seconds), LivePerson's two minutes by default."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sandbox import messaging
from sandbox.models import Account, Installation, Notification
from sandbox.services import sandbox_seed
from sandbox.tests.agent_factories import consumer_says, open_conversation, sandbox_installation

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_app():
    """An app installed just now on an account that behaves like LivePerson."""
    sandbox_seed()
    assert Account.objects.get(account_id="90000001").webhook_activation_seconds == 120
    return sandbox_installation()


def _installed_ago(app: Installation, seconds: int) -> None:
    """Move the app's installation back in time (the sandbox's clock for activation)."""
    Installation.objects.filter(pk=app.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    app.refresh_from_db()


def test_a_new_apps_events_reach_none_of_its_endpoints(new_app):
    conversation = open_conversation(new_app)
    consumer_says(conversation, "anyone there?")

    queued = Notification.objects.filter(conversation_id=conversation.conversation_id)
    assert queued.exists()
    assert set(queued.values_list("status", "last_error")) == {
        (Notification.Status.DROPPED, messaging.NOT_RECOGNISED)
    }
    assert not queued.pending().exists()


def test_once_recognised_the_app_gets_its_webhooks(new_app):
    conversation = open_conversation(new_app)
    _installed_ago(new_app, 121)
    conversation.installation.refresh_from_db()

    consumer_says(conversation, "now?")

    pending = Notification.objects.pending().filter(conversation_id=conversation.conversation_id)
    assert [n.webhook for n in pending] == ["ms.MessagingEventNotification.ContentEvent"]


def test_still_not_recognised_just_before_the_delay_ends(new_app):
    _installed_ago(new_app, 110)
    conversation = open_conversation(new_app)
    assert not Notification.objects.pending().filter(conversation_id=conversation.conversation_id).exists()


def test_an_account_without_the_delay_delivers_at_once():
    sandbox_seed()
    Account.objects.filter(account_id="90000001").update(webhook_activation_seconds=0)
    conversation = open_conversation(sandbox_installation())
    assert Notification.objects.pending().filter(conversation_id=conversation.conversation_id).exists()


def test_the_seed_command_sets_the_delay_of_every_account():
    call_command("sandbox_seed", "--webhook-activation", "0", stdout=io.StringIO())
    assert set(Account.objects.values_list("webhook_activation_seconds", flat=True)) == {0}
    call_command("sandbox_seed", stdout=io.StringIO())
    assert set(Account.objects.values_list("webhook_activation_seconds", flat=True)) == {0}  # kept
