"""Installation's client secret never shows outside its own field."""

import pytest

from accounts.models import User
from apps_admin.models import Installation

pytestmark = pytest.mark.django_db

SECRET = "s3cret-value-of-the-app"


@pytest.fixture
def installation():
    return Installation.objects.create(
        account_id="90000001", client_id="app-1", name="Bot", client_secret=SECRET
    )


@pytest.fixture
def superuser_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only for speed
    client.force_login(User.objects.create_superuser(username="root", password="not-used-here"))
    return client


def test_the_admin_never_shows_the_secret(superuser_client, installation):
    pages = [
        superuser_client.get("/admin/apps_admin/installation/"),
        superuser_client.get(f"/admin/apps_admin/installation/{installation.pk}/change/"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
        assert "client_secret" not in page.content.decode()


def test_repr_and_str_leave_the_secret_out(installation):
    assert SECRET not in repr(installation)
    assert SECRET not in str(Installation.objects.get())
