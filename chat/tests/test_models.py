"""The demo chat's tokens: encrypted in their columns, never in the admin or a repr."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from apps_admin.models import Installation
from chat.models import AppToken, ChatConversation
from core import crypto

pytestmark = pytest.mark.django_db

APP_JWT = "app-jwt-secret-value"
CONSUMER_JWS = "consumer-jws-secret-value"


@pytest.fixture
def superuser(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only for speed
    return User.objects.create_superuser(username="root", password="not-used-here")


@pytest.fixture
def installation():
    return Installation.objects.create(
        account_id="90000001", client_id="app-1", name="Bot", client_secret="s"
    )


@pytest.fixture
def app_token(installation):
    return AppToken.objects.create(
        installation=installation, token=APP_JWT, expires_at=timezone.now() + timedelta(hours=1)
    )


@pytest.fixture
def conversation(installation, superuser):
    return ChatConversation.objects.create(
        user=superuser,
        account_id="90000001",
        installation=installation,
        conversation_id="conv-1",
        main_dialog_id="conv-1",
        dialog_id="conv-1",
        consumer_name="Ann",
        ext_consumer_id="consumer-1",
        consumer_jws=CONSUMER_JWS,
    )


def _column(model, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_tokens_round_trip_as_ciphertext(app_token, conversation):
    stored_jwt = _column(AppToken, "token_encrypted", app_token.pk)
    stored_jws = _column(ChatConversation, "consumer_jws_encrypted", conversation.pk)

    assert AppToken.objects.get().token == APP_JWT
    assert ChatConversation.objects.get().consumer_jws == CONSUMER_JWS
    assert (crypto.decrypt(stored_jwt), crypto.decrypt(stored_jws)) == (APP_JWT, CONSUMER_JWS)


def test_the_admin_never_shows_a_token(client, superuser, app_token, conversation):
    client.force_login(superuser)
    urls = [
        "/admin/chat/apptoken/",
        f"/admin/chat/apptoken/{app_token.pk}/change/",
        "/admin/chat/chatconversation/",
        f"/admin/chat/chatconversation/{conversation.pk}/change/",
    ]

    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        assert APP_JWT not in page.content.decode()
        assert CONSUMER_JWS not in page.content.decode()


def test_repr_leaves_the_tokens_out(app_token, conversation):
    assert APP_JWT not in repr(app_token)
    assert CONSUMER_JWS not in repr(conversation)
