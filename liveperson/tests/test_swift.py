"""File sharing through the Send API's temp URLs and swift, over real HTTP to the sandbox."""

import pytest

from liveperson import errors, send_api, swift
from sandbox.models import MessagingEvent, StoredFile

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _upload_url(app, auth, size: int | None = None) -> dict:
    request = send_api.upload_url(file_size=len(PNG) if size is None else size, file_type="PNG")
    return app.send(auth, request)["body"]


def _upload(app, url: dict, data: bytes = PNG, **overrides) -> None:
    args = {
        "base_uri": app.base_uri(swift.SERVICE),
        "relative_path": url["relativePath"],
        "query_params": url["queryParams"],
        "data": data,
        "content_type": "image/png",
    }
    swift.upload(**{**args, **overrides})


def _download(app, url: dict) -> tuple[bytes, str]:
    return swift.download(
        base_uri=app.base_uri(swift.SERVICE),
        relative_path=url["relativePath"],
        query_params=url["queryParams"],
    )


def test_a_file_goes_up_gets_published_and_comes_back(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    upload = _upload_url(app, auth)

    _upload(app, upload)
    event = send_api.file_event(
        caption="cat.png",
        relative_path=upload["relativePath"],
        file_type="PNG",
        preview="data:image/jpeg;base64,AA==",
    )
    published = app.send(
        auth, send_api.publish_event(conversation_id=conversation_id, dialog_id=conversation_id, event=event)
    )
    download = app.send(auth, send_api.download_url(upload["relativePath"]))["body"]

    assert published["body"]["sequence"] == 0
    assert MessagingEvent.objects.get().event["message"]["relativePath"] == upload["relativePath"]
    assert download["relativePath"] == upload["relativePath"]
    assert _download(app, download) == (PNG, "image/png")


def test_an_upload_url_cannot_download(app):
    auth = app.consumer()
    upload = _upload_url(app, auth)
    _upload(app, upload)

    with pytest.raises(errors.UnauthorizedError):
        _download(app, upload)  # signed for PUT, not GET


def test_a_wrong_signature_is_unauthorized(app):
    upload = _upload_url(app, app.consumer())
    forged = {**upload["queryParams"], "temp_url_sig": "0" * 40}

    with pytest.raises(errors.UnauthorizedError):
        _upload(app, upload, query_params=forged)
    assert StoredFile.objects.get().uploaded_at is None


def test_an_expired_temp_url_is_unauthorized(app, settings):
    settings.SANDBOX_SWIFT_TEMP_URL_SECONDS = -1
    upload = _upload_url(app, app.consumer())

    with pytest.raises(errors.UnauthorizedError):
        _upload(app, upload)


def test_a_file_larger_than_declared_is_refused(app):
    upload = _upload_url(app, app.consumer(), size=100)

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        _upload(app, upload)

    assert caught.value.status == 400


def test_a_file_over_three_megabytes_is_too_large(app):
    upload = _upload_url(app, app.consumer(), size=3 * 1024 * 1024)

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        _upload(app, upload, data=b"x" * (3 * 1024 * 1024 + 1))

    assert caught.value.status == 413


def test_a_file_of_exactly_three_megabytes_is_stored(app):
    upload = _upload_url(app, app.consumer(), size=3 * 1024 * 1024)

    _upload(app, upload, data=b"x" * (3 * 1024 * 1024))

    assert len(StoredFile.objects.get().content) == 3 * 1024 * 1024


def test_publishing_a_file_that_was_never_uploaded_is_refused(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    upload = _upload_url(app, auth)
    event = send_api.file_event(
        caption="x", relative_path=upload["relativePath"], file_type="PNG", preview=""
    )

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.send(
            auth,
            send_api.publish_event(conversation_id=conversation_id, dialog_id=conversation_id, event=event),
        )

    assert "uploaded" in caught.value.detail


def test_a_preview_of_30_kb_is_refused(app):
    auth = app.consumer()
    conversation_id = app.open(auth).conversation_id
    upload = _upload_url(app, auth)
    _upload(app, upload)
    event = send_api.file_event(
        caption="x", relative_path=upload["relativePath"], file_type="PNG", preview="A" * 30 * 1024
    )

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        app.send(
            auth,
            send_api.publish_event(conversation_id=conversation_id, dialog_id=conversation_id, event=event),
        )

    assert "preview" in caught.value.detail


def test_the_sandbox_log_keeps_neither_signature_nor_bytes(app, sandbox):
    upload = _upload_url(app, app.consumer())
    _upload(app, upload)

    (put,) = sandbox.requests_to("swift")
    assert put.method == "PUT"
    assert put.query["temp_url_sig"] == "********"
    assert put.body == {"raw": f"<{len(PNG)} bytes, streamed>"}


@pytest.mark.parametrize("path", ["v1/a/b.png", "/v1/../etc/passwd", "/v1/a//b", "/other/a.png"])
def test_a_relative_path_outside_swift_is_refused_before_any_call(path):
    with pytest.raises(ValueError, match="relativePath"):
        swift.download(base_uri="example.com", relative_path=path, query_params={})
