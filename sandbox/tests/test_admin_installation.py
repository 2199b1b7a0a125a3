"""An installation in the admin: its client secret is write-only, never in the page."""

import json

import pytest

from accounts.models import User
from sandbox.models import Account, Installation
from sandbox.services import sandbox_seed
from sandbox.tests.agent_factories import sandbox_installation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only for speed
    client.force_login(User.objects.create_superuser(username="root", password="not-used-here"))
    return client


@pytest.fixture
def installation():
    sandbox_seed()
    return sandbox_installation()


def _change_url(installation) -> str:
    return f"/admin/sandbox/installation/{installation.pk}/change/"


def _form_as_shown(response) -> dict:
    """What a browser would post back from the page, fields untouched."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    return {name: value for name, value in data.items() if value not in (None, False)}


def test_the_change_page_never_shows_the_secret(admin_client, installation):
    response = admin_client.get(_change_url(installation))

    assert response.status_code == 200
    assert installation.client_secret.encode() not in response.content
    assert b"****" + installation.client_secret[-4:].encode() in response.content
    assert b'name="new_client_secret"' in response.content


def test_saving_without_a_new_secret_keeps_it(admin_client, installation):
    secret = installation.client_secret
    data = _form_as_shown(admin_client.get(_change_url(installation)))
    data["data"] = json.dumps({**installation.data, "client_name": "Renamed"})

    response = admin_client.post(_change_url(installation), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    installation.refresh_from_db()
    assert installation.data["client_name"] == "Renamed"
    assert installation.client_secret == secret


def test_a_new_secret_replaces_it(admin_client, installation):
    data = _form_as_shown(admin_client.get(_change_url(installation)))
    data["new_client_secret"] = "a-new-secret-typed-by-an-admin-0123456789"

    response = admin_client.post(_change_url(installation), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    installation.refresh_from_db()
    assert installation.client_secret == "a-new-secret-typed-by-an-admin-0123456789"


def test_the_rotate_action_gives_each_a_new_random_secret(admin_client, installation):
    other = sandbox_installation()
    before = {installation.pk: installation.client_secret, other.pk: other.client_secret}

    response = admin_client.post(
        "/admin/sandbox/installation/",
        {"action": "rotate_client_secret", "_selected_action": [installation.pk, other.pk]},
        follow=True,
    )

    assert b"Rotated the client secret of 2 installation(s)." in response.content
    after = dict(Installation.objects.filter(pk__in=before).values_list("pk", "client_secret"))
    assert all(after[pk] != before[pk] and len(after[pk]) >= 64 for pk in before)
    assert after[installation.pk] != after[other.pk]
    assert not any(secret.encode() in response.content for secret in after.values())


def test_an_installation_added_without_a_secret_gets_a_random_one(admin_client, installation):
    data = {
        "account": Account.objects.get(account_id="90000001").pk,
        "client_id": "added-in-the-admin",
        "client_id_issued_at": "1700000000",
        "data": json.dumps({"client_name": "Added"}),
    }

    response = admin_client.post("/admin/sandbox/installation/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert len(Installation.objects.get(client_id="added-in-the-admin").client_secret) >= 64
