"""The seeded account qa90000003: a QA account by its "qa" prefix (found through CSDS_DOMAIN_QA)
whose site property messaging.file.sharing.enabled is off, as it is on LivePerson until an
admin sets it (docs/LIVEPERSON.md, 'Send API: file sharing'). Everything works but images, and
the chat says why."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from apps_admin import services as apps_services
from apps_admin.models import Installation
from apps_admin.tests.conftest import _logged_in, lp_of
from chat.tests.conftest import start

pytestmark = pytest.mark.django_db(transaction=True)

QA_WITHOUT_FILES = {"account_id": "qa90000003", "login_name": "admin", "password": "sandbox-admin"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_image_on_the_seeded_account_without_file_sharing_gets_a_clear_error(
    sandbox, daphne_server, settings
):
    settings.SANDBOX_AGENT_DELAY_SCALE = 0
    client = _logged_in(Client(), QA_WITHOUT_FILES)
    created = apps_services.installation_create(
        lp=lp_of(client),
        name="QA app",
        description="d",
        endpoint=f"https://{daphne_server.host}/notifications/event",
    )
    chat = start(client, Installation.objects.get(client_id=created["client_id"]), first_message="Hello")

    upload = SimpleUploadedFile("photo.png", _png(), "image/png")
    response = client.post(f"/chat/{chat.pk}/files/", {"file": upload})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("LivePerson refused")
    assert "messaging.file.sharing.enabled" in error
    assert sandbox.requests_to("csds")[0].path.startswith("/sandbox/csds-qa/")
