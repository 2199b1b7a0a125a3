"""The sandbox's messaging data in the admin: listed and viewed, never edited."""

import pytest
from django.urls import reverse

from sandbox import messaging
from sandbox.models import Account, Consumer, MessagingConversation
from sandbox.services import sandbox_seed

pytestmark = pytest.mark.django_db
MODELS = ["consumer", "messagingconversation", "messagingevent", "storedfile", "agenttask"]


@pytest.fixture
def conversation():
    sandbox_seed()
    consumer = Consumer.objects.create(
        account=Account.objects.get(account_id="90000001"), ext_consumer_id="c", lp_consumer_id="b" * 64
    )
    return messaging.conversation_open(consumer=consumer, installation=None)


@pytest.mark.parametrize("model", MODELS)
def test_the_list_renders(admin_client, conversation, model):
    response = admin_client.get(reverse(f"admin:sandbox_{model}_changelist"))

    assert response.status_code == 200


def test_a_conversation_shows_its_dialogs(admin_client, conversation):
    response = admin_client.get(reverse("admin:sandbox_messagingconversation_change", args=[conversation.pk]))

    assert response.status_code == 200
    assert conversation.conversation_id in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
def test_nothing_can_be_added(admin_client, model):
    assert admin_client.get(reverse(f"admin:sandbox_{model}_add")).status_code == 403


def test_a_conversation_cannot_be_changed(admin_client, conversation):
    url = reverse("admin:sandbox_messagingconversation_change", args=[conversation.pk])

    admin_client.post(url, {"state": "CLOSE"})

    assert MessagingConversation.objects.get().state == "OPEN"
