"""The access tokens page: create (shown once), list, revoke with confirmation."""

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import access_tokens
from accounts.models import AccessToken, User

pytestmark = pytest.mark.django_db

LIST_URL = reverse("accounts:token-list")


def _user(login="admin", account_id="90000001"):
    return User.objects.create(
        username=f"{account_id}:{login}", lp_account_id=account_id, lp_login_name=login
    )


@pytest.fixture
def user():
    return _user()


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def _raw_in(response) -> str:
    return re.search(r'data-role="token">(cst_[A-Za-z0-9_-]{40})<', response.content.decode()).group(1)


def test_it_sends_anonymous_people_to_the_login_page(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_it_creates_a_token_and_shows_it_once(logged_in, user):
    response = logged_in.post(LIST_URL, {"name": "laptop", "scope": "forward"})

    assert response.status_code == 200
    raw = _raw_in(response)
    token = AccessToken.objects.get(user=user)
    assert (token.name, token.scope, token.account_id) == ("laptop", "forward", "90000001")
    assert access_tokens.authenticate(raw, needs="forward") == token
    assert "no-store" in response["Cache-Control"]
    assert raw not in logged_in.get(LIST_URL).content.decode()


def test_the_list_shows_name_prefix_scope_and_last_use(logged_in, user):
    token, raw = access_tokens.create(user, name="ci box", scope="read")
    access_tokens.authenticate(raw, needs="read")

    page = logged_in.get(LIST_URL).content.decode()

    assert "ci box" in page
    assert f"{token.prefix}…" in page
    assert "Read-only" in page
    assert "never-used" not in page


def test_the_list_shows_only_the_users_own_tokens(logged_in):
    access_tokens.create(_user(login="someone"), name="not yours", scope="full")

    assert "not yours" not in logged_in.get(LIST_URL).content.decode()


def test_it_refuses_an_unknown_scope(logged_in):
    response = logged_in.post(LIST_URL, {"name": "x", "scope": "root"})

    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_a_local_user_is_told_tokens_need_liveperson(client):
    client.force_login(User.objects.create(username="root"))

    response = client.post(LIST_URL, {"name": "x", "scope": "read"})

    assert response.status_code == 400
    assert "LivePerson user" in response.content.decode()


def test_create_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(LIST_URL, {"name": "x", "scope": "read"}).status_code == 403
    assert not AccessToken.objects.exists()


def test_revoke_asks_for_confirmation_first(logged_in, user):
    token, _ = access_tokens.create(user, name="laptop", scope="full")

    response = logged_in.get(reverse("accounts:token-revoke", args=[token.pk]))

    assert response.status_code == 200
    assert "Revoke “laptop”?" in response.content.decode()
    assert access_tokens.is_active(token.pk)


def test_revoke_revokes_on_post(logged_in, user):
    token, raw = access_tokens.create(user, name="laptop", scope="full")

    response = logged_in.post(reverse("accounts:token-revoke", args=[token.pk]))

    assert response.url == LIST_URL
    assert access_tokens.authenticate(raw, needs="read") is None


def test_revoke_needs_the_csrf_token(user):
    token, _ = access_tokens.create(user, name="laptop", scope="full")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 403
    assert access_tokens.is_active(token.pk)


def test_nobody_revokes_someone_elses_token(logged_in):
    token, _ = access_tokens.create(_user(login="someone"), name="theirs", scope="full")

    assert logged_in.get(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    assert logged_in.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 404
    assert access_tokens.is_active(token.pk)


def test_the_page_never_logs_the_token(logged_in, user, caplog):
    caplog.set_level(logging.DEBUG)

    raw = _raw_in(logged_in.post(LIST_URL, {"name": "laptop", "scope": "full"}))
    token = AccessToken.objects.get()
    logged_in.post(reverse("accounts:token-revoke", args=[token.pk]))

    assert raw not in caplog.text
    assert token.token_hash not in caplog.text


def test_the_navigation_links_the_page(logged_in):
    assert f'href="{LIST_URL}"' in logged_in.get(LIST_URL).content.decode()
