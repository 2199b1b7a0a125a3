"""POST /chat/<pk>/files/ and GET /chat/<pk>/files/download, against the sandbox's
Send API and swift over real HTTP."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.files import MAX_BYTES
from chat.tests.conftest import start
from sandbox.models import Account, MessagingEvent, StoredFile

pytestmark = pytest.mark.django_db(transaction=True)


def _png(width: int = 400, height: int = 300) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(client, chat, data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    return client.post(f"/chat/{chat.pk}/files/", {"file": SimpleUploadedFile(name, data, content_type)})


@pytest.fixture
def chat(admin, chat_app):
    return start(admin, chat_app, first_message="")


def test_it_uploads_to_swift_and_publishes_the_file_with_a_small_preview(admin, chat):
    data = _png()

    response = _upload(admin, chat, data)

    assert response.status_code == 200, response.content
    answer = response.json()
    stored = StoredFile.objects.get(relative_path=answer["relative_path"])
    assert bytes(stored.content) == data
    event = MessagingEvent.objects.get(
        sequence=answer["sequence"], conversation__conversation_id=chat.conversation_id
    )
    message = event.event["message"]
    assert (event.event["contentType"], message["fileType"], message["caption"]) == (
        "hosted/file",
        "PNG",
        "photo.png",
    )
    assert message["preview"].startswith("data:image/jpeg;base64,")
    assert len(message["preview"]) < 30 * 1024
    preview = Image.open(io.BytesIO(__import__("base64").b64decode(message["preview"].split(",", 1)[1])))
    assert preview.width == 100


def test_it_downloads_the_file_through_the_server(admin, chat):
    data = _png()
    path = _upload(admin, chat, data).json()["relative_path"]

    response = admin.get(f"/chat/{chat.pk}/files/download", {"path": path})

    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "image/png"


def test_it_refuses_a_file_that_is_not_an_image_before_calling_liveperson(admin, chat, sandbox):
    before = len(sandbox.requests_to("asyncMessagingEnt"))

    response = _upload(admin, chat, b"%PDF-1.4 not an image", name="doc.png")

    assert response.status_code == 400
    assert response.json() == {"error": "Only PNG, JPEG and GIF images can be sent."}
    assert len(sandbox.requests_to("asyncMessagingEnt")) == before


def test_it_refuses_a_file_over_3_mb(admin, chat):
    response = _upload(admin, chat, b"\0" * (MAX_BYTES + 1))

    assert response.status_code == 400
    assert "3 MB" in response.json()["error"]


def test_it_reports_liveperson_refusing_files_when_file_sharing_is_off(admin, chat):
    Account.objects.filter(account_id="90000001").update(file_sharing=False)

    response = _upload(admin, chat, _png())

    assert response.status_code == 400
    assert response.json()["error"].startswith("LivePerson refused")


def test_another_accounts_conversation_is_not_found(chat, qa_admin):
    assert _upload(qa_admin, chat, _png()).status_code == 404
    assert qa_admin.get(f"/chat/{chat.pk}/files/download", {"path": "/v1/x/y"}).status_code == 404


def test_it_needs_a_login(client, chat):
    client.logout()
    assert _upload(client, chat, _png()).status_code == 302
