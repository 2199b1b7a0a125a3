"""A returning consumer: one external consumer id per user and app, so LivePerson (here the
sandbox) refuses a second open conversation, and the chat offers to resume the open one
(docs/LIVEPERSON.md, 'Returning consumer')."""

import pytest

from chat import actions, starting
from chat.exceptions import ConversationOpenError
from chat.tests.conftest import start, user_of
from chat.tests.test_views import START_URL, _create_app, _start_data, admin_client  # noqa: F401
from sandbox.models import Consumer, MessagingConversation, RequestLog


def test_the_consumer_id_is_stable_per_user_and_app(admin):
    user = user_of(admin)

    first = starting.consumer_id(user=user, client_id="app-1")

    assert first == starting.consumer_id(user=user, client_id="app-1")
    assert first != starting.consumer_id(user=user, client_id="app-2")
    assert first.startswith("connector-site-")


def test_a_second_conversation_is_refused_and_the_open_one_offered(admin, chat_app):
    first = start(admin, chat_app, first_message="")

    with pytest.raises(ConversationOpenError) as refused:
        start(admin, chat_app, first_message="")

    assert refused.value.conversation.pk == first.pk
    assert Consumer.objects.filter(ext_consumer_id=first.ext_consumer_id).count() == 1
    # LivePerson was asked (our records may be stale), and refused: one conversation only.
    assert RequestLog.objects.filter(path__endswith="/messaging/consumer/conversation").count() == 2
    assert MessagingConversation.objects.filter(consumer__ext_consumer_id=first.ext_consumer_id).count() == 1


def test_once_closed_the_same_consumer_opens_a_new_conversation(admin, chat_app):
    first = start(admin, chat_app, first_message="")
    actions.conversation_close(conversation=first)

    again = start(admin, chat_app, first_message="")

    assert again.conversation_id != first.conversation_id
    assert again.ext_consumer_id == first.ext_consumer_id
    opened = MessagingConversation.objects.filter(consumer__ext_consumer_id=first.ext_consumer_id)
    assert opened.count() == 2
    assert len({c.consumer_id for c in opened}) == 1


def test_the_start_page_offers_to_resume(admin_client):  # noqa: F811
    client_id = _create_app(admin_client)
    first = admin_client.post(START_URL, _start_data(client_id))

    second = admin_client.post(START_URL, _start_data(client_id))

    page = second.content.decode()
    assert first.status_code == 302
    assert second.status_code == 409
    assert 'data-testid="resume-open"' in page
    assert f'href="{first["Location"]}"' in page
    assert "already has an open conversation" in page
