"""The access tokens' admin: read-only, and never the hash."""

import pytest

from accounts import access_tokens
from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def token():
    user = User.objects.create(username="90000001:dev", lp_account_id="90000001", lp_login_name="dev")
    return access_tokens.create(user, name="laptop", scope="read")


def test_the_list_shows_tokens_without_their_hash(admin_client, token):
    stored, raw = token

    page = admin_client.get("/admin/accounts/accesstoken/").content.decode()

    assert "laptop" in page
    assert stored.prefix in page
    assert stored.token_hash not in page
    assert raw not in page


def test_the_change_page_is_read_only_and_without_the_hash(admin_client, token):
    stored, _ = token

    response = admin_client.get(f"/admin/accounts/accesstoken/{stored.pk}/change/")

    assert response.status_code == 200
    assert stored.token_hash not in response.content.decode()
    assert (
        admin_client.post(f"/admin/accounts/accesstoken/{stored.pk}/change/", {"scope": "full"}).status_code
        == 403
    )
