"""Consumer info (SDEs): at the opening in SetUserProfile's authenticatedData.lp_sdes, later
through SEND, and what the sandbox agent page shows (docs/LIVEPERSON.md, 'Consumer info (SDEs)')."""

import pytest

from chat import actions, forms, sdes
from chat.exceptions import ChatError
from chat.tests.conftest import frames_until, socket, start
from chat.tests.test_views import START_URL, _create_app, _start_data, admin_client  # noqa: F401
from core.offloop import off_loop
from sandbox import agent_desk
from sandbox.models import MessagingConversation

VALUES = {
    "customer_id": "C-42",
    "customer_type": "vip",
    "social_id": "kim_fb",
    "first_name": "Kim",
    "last_name": "Lee",
    "email": "kim@example.com",
    "phone": "+1 555 0100",
    "gender": "FEMALE",
}


def test_the_fields_become_the_two_documented_sdes():
    assert sdes.lp_sdes(VALUES) == [
        {"type": "ctmrinfo", "info": {"customerId": "C-42", "ctype": "vip", "socialId": "kim_fb"}},
        {
            "type": "personal",
            "personal": {
                "firstname": "Kim",
                "lastname": "Lee",
                "contacts": [{"email": "kim@example.com", "phone": "+1 555 0100"}],
                "gender": "FEMALE",
            },
        },
    ]


def test_no_field_no_authenticated_data():
    assert sdes.lp_sdes({"customer_id": "  "}) == []
    assert "authenticatedData" not in sdes.user_profile(name="Kim", values={})


@pytest.mark.parametrize(
    "values", [{"email": "not-an-address"}, {"gender": "ROBOT"}, {"customer_id": "x" * 129}, "a string"]
)
def test_bad_consumer_info_is_refused_before_liveperson(values):
    with pytest.raises(ChatError):
        forms.consumer_info(values)


def _sandbox_conversation(conversation_id: str) -> MessagingConversation:
    return MessagingConversation.objects.get(conversation_id=conversation_id)


def test_the_opening_carries_the_sdes_and_the_agent_sees_them(admin, chat_app):
    chat = start(admin, chat_app, first_message="", consumer_info=VALUES)

    opened = _sandbox_conversation(chat.conversation_id)
    shown = dict(agent_desk.consumer_info(opened))
    assert opened.consumer_profile["authenticatedData"]["lp_sdes"] == sdes.lp_sdes(VALUES)
    assert shown["ctmrinfo.customerId"] == "C-42"
    assert shown["personal.contacts[0].email"] == "kim@example.com"
    assert shown["Name"] == "Kim"


def test_later_consumer_info_goes_through_send_and_replaces_what_the_agent_sees(admin, chat_app):
    chat = start(admin, chat_app, first_message="", consumer_info={"customer_id": "C-1"})

    actions.conversation_set_consumer_info(conversation=chat, values={"customer_type": "gold"})

    shown = dict(agent_desk.consumer_info(_sandbox_conversation(chat.conversation_id)))
    assert shown["ctmrinfo.ctype"] == "gold"
    assert "ctmrinfo.customerId" not in shown
    sent = chat.requests.filter(request_body__type="userprofile.SetUserProfile").get()
    assert sent.request_body["body"]["authenticatedData"]["lp_sdes"] == [
        {"type": "ctmrinfo", "info": {"ctype": "gold"}}
    ]


def test_the_start_form_sends_the_sdes(admin_client):  # noqa: F811
    client_id = _create_app(admin_client)

    response = admin_client.post(START_URL, _start_data(client_id, customer_id="C-9", gender="OTHER"))

    assert response.status_code == 302
    opened = MessagingConversation.objects.get()
    assert opened.consumer_profile["authenticatedData"]["lp_sdes"] == [
        {"type": "ctmrinfo", "info": {"customerId": "C-9"}},
        {"type": "personal", "personal": {"gender": "OTHER"}},
    ]


def test_the_agent_page_shows_the_consumer_info(admin, chat_app, client):
    chat = start(admin, chat_app, first_message="", consumer_info=VALUES)

    page = client.get(f"/sandbox/agent/{chat.conversation_id}/").content.decode()
    polled = client.get(f"/sandbox/agent/{chat.conversation_id}/events").json()

    assert "<dt>ctmrinfo.ctype</dt><dd>vip</dd>" in page
    assert ["personal.gender", "FEMALE"] in polled["conversation"]["consumerInfo"]


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_bad_consumer_info_clearly(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"action": "consumer_info", "values": {"email": "nope"}})

    frames = await frames_until(communicator, lambda f: f["type"] == "error")
    assert frames[-1]["message"].startswith("Email:")
    await communicator.disconnect()
