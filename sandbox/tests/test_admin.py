"""The sandbox's webhook outbox in the admin: read-only, so it stays evidence of what was sent."""

import pytest

from accounts.models import User
from sandbox.models import DeliveryAttempt, Notification
from sandbox.services import sandbox_seed
from sandbox.tests.webhook_endpoint import queue, sandbox_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only for speed
    client.force_login(User.objects.create_superuser(username="root", password="not-used-here"))
    return client


@pytest.fixture
def notification():
    sandbox_seed()
    notification = queue(sandbox_app("https://127.0.0.1/hook"), "conversation-1", "hi")
    DeliveryAttempt.objects.create(notification=notification, url="http://127.0.0.1/hook", status_code=500)
    return notification


@pytest.mark.parametrize("model", ["notification", "deliveryattempt"])
def test_the_list_renders_with_its_filters(admin_client, notification, model):
    response = admin_client.get(f"/admin/sandbox/{model}/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert response.context["cl"].has_filters


def test_a_notification_shows_its_attempts_read_only(admin_client, notification):
    response = admin_client.get(f"/admin/sandbox/notification/{notification.pk}/change/")

    assert response.status_code == 200
    assert b"http://127.0.0.1/hook" in response.content
    assert not response.context["has_change_permission"]


def test_notifications_cannot_be_added(admin_client, notification):
    assert admin_client.get("/admin/sandbox/notification/add/").status_code == 403
    assert Notification.objects.count() == 1
