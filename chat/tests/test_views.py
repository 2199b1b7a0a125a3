"""The demo chat's pages, through real HTTP against the sandbox (login, App Install
API, Send API)."""

import re

import pytest
from django.db import connection
from django.test import Client

from apps_admin.models import Installation
from apps_admin.tests.conftest import _logged_in, create_data
from chat.models import ChatConversation
from conftest import ADMIN, QA_ADMIN
from webhooks.models import Conversation as WebhookConversation

START_URL = "/chat/new/"


@pytest.fixture
def admin_client(client, sandbox):
    return _logged_in(client, ADMIN)


@pytest.fixture
def qa_client(sandbox):
    return _logged_in(Client(), QA_ADMIN)


def _create_app(client, name="Chat bot", demo=True) -> str:
    """An app installed through the apps pages (demo: its webhooks come to this site)."""
    endpoint = "" if demo else "https://hooks.example.com/lp"
    data = create_data(name=name, description="For the chat", demo=demo, endpoint=endpoint)
    response = client.post("/apps/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].split("/")[2]


def _start_data(client_id: str, **overrides) -> dict:
    data = {
        "client_id": client_id,
        "consumer_name": "Kim",
        "features": ["AUTO_MESSAGES", "RICH_CONTENT"],
        "campaign_id": "",
        "engagement_id": "",
        "skill_id": "-1",
        "survey_skill_id": "",
        "ttr": "",
        "first_message": "Hello there",
    }
    data.update(overrides)
    return data


def _chat_of(account_id: str, name: str = "Someone") -> ChatConversation:
    """A stored conversation of an account, as the chat services would keep it."""
    installation, _ = Installation.objects.get_or_create(
        account_id=account_id, client_id=f"app-{account_id}", defaults={"name": f"App of {account_id}"}
    )
    chat = ChatConversation(
        user=None,
        account_id=account_id,
        installation=installation,
        conversation_id=f"conv-{account_id}-{name}",
        main_dialog_id=f"conv-{account_id}-{name}",
        dialog_id=f"conv-{account_id}-{name}",
        consumer_name=name,
        ext_consumer_id=f"ext-{name}",
    )
    chat.consumer_jws = "consumer-jws-secret-value"
    return chat


def _save_chat(client, account_id: str, name: str) -> ChatConversation:
    from accounts.models import User

    chat = _chat_of(account_id, name)
    chat.user = User.objects.get(username=f"{account_id}:admin")
    chat.save()
    return chat


# --- List ---


def test_list_needs_login(client, sandbox):
    response = client.get("/chat/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_list_shows_the_empty_state(admin_client):
    response = admin_client.get("/chat/")

    assert b'data-testid="chats-empty"' in response.content
    assert b'href="/chat/new/"' in response.content


def test_list_shows_only_the_accounts_conversations(admin_client, qa_client):
    mine = _save_chat(admin_client, "90000001", "Mine")
    theirs = _save_chat(qa_client, "le90000002", "Theirs")

    html = admin_client.get("/chat/").content.decode()

    assert f'href="/chat/{mine.pk}/"' in html
    assert mine.conversation_id in html
    assert theirs.conversation_id not in html
    assert "Theirs" not in html


def test_list_is_in_the_nav(admin_client):
    html = admin_client.get("/").content.decode()

    assert 'href="/chat/"' in html


# --- Chat page ---


def test_chat_page_has_everything_the_script_needs(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")

    response = admin_client.get(f"/chat/{chat.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-socket-path="/ws/chat/{chat.pk}/"' in html
    assert f'data-upload-url="/chat/{chat.pk}/files/"' in html
    assert f'data-download-url="/chat/{chat.pk}/files/download"' in html
    assert "csrfmiddlewaretoken" in html
    assert "chat/chat.js" in html
    assert '<label for="chat-text"' in html
    assert chat.conversation_id in html


def test_chat_page_never_shows_the_consumer_token(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")

    html = admin_client.get(f"/chat/{chat.pk}/").content.decode()

    assert "consumer-jws-secret-value" not in html
    with connection.cursor() as cursor:
        cursor.execute("SELECT consumer_jws_encrypted FROM chat_chatconversation WHERE id = %s", [chat.pk])
        assert cursor.fetchone()[0] not in html


def test_chat_page_shows_a_closed_conversation_as_closed(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")
    ChatConversation.objects.filter(pk=chat.pk).update(state="CLOSE", stage="CLOSE")

    html = admin_client.get(f"/chat/{chat.pk}/").content.decode()

    assert 'data-state="closed"' in html
    assert 'data-testid="chat-state">Closed<' in html


def test_chat_page_links_its_webhook_events_and_deliveries(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")
    events = WebhookConversation.objects.create(account_id="90000001", conversation_id=chat.conversation_id)

    html = admin_client.get(f"/chat/{chat.pk}/").content.decode()

    assert f'<a href="/conversations/{events.pk}/" data-testid="timeline-link">' in html
    assert f'href="/events/?conversation={chat.conversation_id}" data-testid="deliveries-link"' in html


def test_chat_page_links_deliveries_before_any_webhook(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")

    html = admin_client.get(f"/chat/{chat.pk}/").content.decode()

    assert 'data-testid="timeline-link"' not in html
    assert 'data-testid="deliveries-link"' in html


def test_chat_page_of_another_account_is_not_found(admin_client, qa_client):
    theirs = _save_chat(qa_client, "le90000002", "Theirs")

    response = admin_client.get(f"/chat/{theirs.pk}/")

    assert response.status_code == 404


def test_chat_page_needs_login(client, sandbox):
    response = client.get("/chat/1/")

    assert response.status_code == 302


# --- Start form ---


def test_start_form_offers_the_accounts_enabled_apps(admin_client, qa_client):
    client_id = _create_app(admin_client, name="Chat bot")
    other_account_app = _create_app(qa_client, name="QA bot")

    response = admin_client.get(START_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{client_id}"' in html
    assert "Chat bot" in html
    assert other_account_app not in html
    assert 'data-testid="app-not-here"' not in html


def test_start_form_lists_the_features_with_the_originals_first(admin_client):
    _create_app(admin_client)

    html = admin_client.get(START_URL).content.decode()

    positions = [
        html.index(f'value="{name}"')
        for name in ("AUTO_MESSAGES", "RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG")
    ]
    assert positions == sorted(positions)
    for name in (
        "MARKDOWN_HYPERLINKS",
        "FILE_SHARING",
        "PHOTO_SHARING",
        "CO_BROWSE",
        "CO_APP",
        "SECURE_FORMS",
    ):
        assert f'value="{name}"' in html
    assert html.index('value="MULTI_DIALOG"') < html.index('value="MARKDOWN_HYPERLINKS"')
    for label in (
        "Consumer name",
        "Campaign id",
        "Engagement id",
        "Skill id",
        "Survey skill id",
        "First message",
    ):
        assert label in html
    assert "RICH_CONTENT, QUICK_REPLIES, MULTI_DIALOG" in html  # the survey hint


def test_start_form_preselects_the_app_from_the_link(admin_client):
    _create_app(admin_client, name="First")
    second = _create_app(admin_client, name="Second")

    form = admin_client.get(f"{START_URL}?app={second}").context["form"]

    assert form["client_id"].value() == second


def test_start_form_warns_when_an_apps_webhooks_go_elsewhere(admin_client):
    client_id = _create_app(admin_client, name="Elsewhere", demo=False)

    html = admin_client.get(START_URL).content.decode()

    assert 'data-testid="app-not-here"' in html
    assert f'data-client-id="{client_id}"' in html
    assert "notifications will not arrive here" in html


def _warnings(html: str) -> dict[str, bool]:
    """Each "webhooks do not point here" warning's app, and whether it shows."""
    found = re.findall(
        r'<p class="hint warning" data-client-id="([^"]+)" data-testid="app-not-here"( hidden)?>', html
    )
    return {client_id: not hidden for client_id, hidden in found}


def test_start_form_shows_only_the_selected_apps_warning(admin_client):
    demo = _create_app(admin_client, name="A demo")  # first by name: selected by default
    elsewhere = [_create_app(admin_client, name=f"Elsewhere {n}", demo=False) for n in range(3)]

    by_default = _warnings(admin_client.get(START_URL).content.decode())
    chosen = _warnings(admin_client.get(f"{START_URL}?app={elsewhere[1]}").content.decode())

    assert demo not in by_default
    assert by_default == dict.fromkeys(elsewhere, False)
    assert chosen == {elsewhere[0]: False, elsewhere[1]: True, elsewhere[2]: False}
    assert "chat/start.js" in admin_client.get(START_URL).content.decode()


def test_start_form_takes_the_settings_of_a_previous_chat(admin_client):
    client_id = _create_app(admin_client)
    chat = _save_chat(admin_client, "90000001", "Ana")
    chat.installation = Installation.objects.get(client_id=client_id)
    chat.features = ["RICH_CONTENT", "QUICK_REPLIES"]
    chat.skill_id, chat.survey_skill_id, chat.ttr = "12", "90001", "URGENT"
    chat.campaign_id, chat.engagement_id = "5", "6"
    chat.save()

    form = admin_client.get(f"{START_URL}?from={chat.pk}").context["form"]

    values = {name: form[name].value() for name in ("client_id", "consumer_name", "skill_id", "ttr")}
    assert values == {"client_id": client_id, "consumer_name": "Ana", "skill_id": "12", "ttr": "URGENT"}
    assert form["features"].value() == ["RICH_CONTENT", "QUICK_REPLIES"]
    assert (form["survey_skill_id"].value(), form["campaign_id"].value()) == ("90001", "5")


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 40])
def test_start_form_ignores_a_bad_previous_chat(admin_client, value):
    assert admin_client.get(f"{START_URL}?from={value}").status_code == 200


def test_start_form_ignores_another_accounts_chat(admin_client, qa_client):
    theirs = _save_chat(qa_client, "le90000002", "Theirs")

    form = admin_client.get(f"{START_URL}?from={theirs.pk}").context["form"]

    assert form["consumer_name"].value() == "Kim"


def test_a_closed_chat_offers_a_new_one_with_the_same_settings(admin_client):
    chat = _save_chat(admin_client, "90000001", "Kim")
    ChatConversation.objects.filter(pk=chat.pk).update(state="CLOSE", stage="CLOSE")

    html = admin_client.get(f"/chat/{chat.pk}/").content.decode()

    assert f'<a href="/chat/new/?from={chat.pk}" data-testid="start-again">' in html


def test_close_with_survey_explains_a_chat_without_a_survey_skill(admin_client):
    without = _save_chat(admin_client, "90000001", "Kim")
    with_skill = _save_chat(admin_client, "90000001", "Ana")
    ChatConversation.objects.filter(pk=with_skill.pk).update(survey_skill_id="90001")

    html = admin_client.get(f"/chat/{without.pk}/").content.decode()
    other = admin_client.get(f"/chat/{with_skill.pk}/").content.decode()

    assert 'data-testid="no-survey-skill"' in html
    assert 'aria-describedby="no-survey-skill"' in html
    assert 'data-testid="no-survey-skill"' not in other


def test_start_form_without_apps_says_how_to_get_one(admin_client):
    html = admin_client.get(START_URL).content.decode()

    assert 'data-testid="no-demo-apps"' in html
    assert 'href="/apps/new/"' in html


def test_start_form_has_csrf_protection(admin_client):
    _create_app(admin_client)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = admin_client.cookies

    response = strict.post(START_URL, _start_data("whatever"))

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consumer_name": ""}, "consumer_name"),
        ({"first_message": ""}, "first_message"),
        ({"skill_id": "abc"}, "skill_id"),
        ({"survey_skill_id": "9x"}, "survey_skill_id"),
        ({"campaign_id": "123"}, "engagement_id"),
        ({"engagement_id": "456"}, "campaign_id"),
        ({"ttr": "SOMETIMES"}, "ttr"),
        ({"features": ["NOT_A_FEATURE"]}, "features"),
    ],
)
def test_start_refuses_invalid_options(admin_client, overrides, field):
    client_id = _create_app(admin_client)

    response = admin_client.post(START_URL, _start_data(client_id, **overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ChatConversation.objects.exists()


def test_start_refuses_an_app_of_another_account(admin_client, qa_client):
    _create_app(admin_client)
    theirs = _create_app(qa_client, name="QA bot")

    response = admin_client.post(START_URL, _start_data(theirs))

    assert response.status_code == 400
    assert "client_id" in response.context["form"].errors
    assert not ChatConversation.objects.exists()


def test_start_opens_the_conversation_and_goes_to_it(admin_client, sandbox):
    client_id = _create_app(admin_client)

    response = admin_client.post(
        START_URL,
        _start_data(client_id, campaign_id="2894629312", engagement_id="2894629412", ttr="URGENT"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    chat = ChatConversation.objects.get()
    assert response["Location"] == f"/chat/{chat.pk}/"
    assert chat.account_id == "90000001"
    assert chat.installation.client_id == client_id
    assert chat.consumer_name == "Kim"
    assert chat.features == ["AUTO_MESSAGES", "RICH_CONTENT"]
    assert (chat.campaign_id, chat.engagement_id, chat.ttr) == ("2894629312", "2894629412", "URGENT")
    assert sandbox.requests_to("asyncMessagingEnt", "/conversation/send")  # the first message, at once


def test_start_shows_liveperson_failing_without_losing_the_form(admin_client, sandbox):
    client_id = _create_app(admin_client)
    sandbox.fault("down", service="asyncMessagingEnt")

    response = admin_client.post(START_URL, _start_data(client_id, consumer_name="Kept"))

    html = response.content.decode()
    assert response.status_code == 502
    assert 'role="alert"' in html
    assert "LivePerson" in html
    assert 'value="Kept"' in html
    assert not ChatConversation.objects.exists()


def test_start_needs_a_liveperson_login(sandbox):
    from accounts.models import User

    operator = User.objects.create(username="local-operator")
    client = Client()
    client.force_login(operator)

    response = client.get(START_URL)

    assert response.status_code == 302


# --- Entry point on the app page ---


def test_app_page_opens_the_demo_chat(admin_client):
    client_id = _create_app(admin_client)

    html = admin_client.get(f"/apps/{client_id}/").content.decode()

    assert f'href="/chat/new/?app={client_id}"' in html
    assert "Open demo chat" in html
