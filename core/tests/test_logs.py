"""Request ids, access lines (Django views and the webhook path) and the JSON format."""

import json
import logging
import sys

import pytest
from channels.testing import HttpCommunicator

from connector_site.asgi import application
from core import logs
from webhooks import ingest

ACCESS = "connector_site.access"


def _access_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS]


def test_a_well_formed_request_id_from_the_proxy_is_kept():
    assert logs.request_id_from("7f3a9c0e1b2d4e5f8a6b7c8d9e0f1a2b") == "7f3a9c0e1b2d4e5f8a6b7c8d9e0f1a2b"


@pytest.mark.parametrize("value", [None, "", "has space", "new\nline", "x" * 129, "<script>"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(value):
    made = logs.request_id_from(value)

    assert made != value
    assert len(made) == 32


def test_the_json_formatter_writes_one_object_per_line_with_the_extras():
    token = logs.request_id_var.set("req-1")
    try:
        record = logging.LogRecord("app", logging.WARNING, __file__, 1, "it %s", ("failed",), None)
        logs.RequestIdFilter().filter(record)
        record.status = 503
    finally:
        logs.request_id_var.reset(token)

    line = logs.JsonFormatter().format(record)

    assert "\n" not in line
    parsed = json.loads(line)
    assert {k: parsed[k] for k in ("level", "logger", "message", "request_id", "status")} == {
        "level": "WARNING",
        "logger": "app",
        "message": "it failed",
        "request_id": "req-1",
        "status": 503,
    }


def test_the_json_formatter_includes_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())

    parsed = json.loads(logs.JsonFormatter().format(record))

    assert "ValueError: boom" in parsed["exception"]


@pytest.mark.django_db
def test_a_django_request_gets_one_access_line_without_its_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)

    response = client.get("/accounts/login/?next=/apps/&token=secret-value", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"
    (record,) = _access_records(caplog)
    assert (record.method, record.path, record.status, record.request_id) == (
        "GET",
        "/accounts/login/",
        200,
        "abc-123",
    )
    assert record.duration_ms > 0
    assert record.user_id is None
    assert "secret-value" not in caplog.text


@pytest.mark.django_db
def test_the_access_line_names_a_logged_in_user(admin_client, admin_user, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)

    admin_client.get("/admin/")

    (record,) = _access_records(caplog)
    assert record.user_id == admin_user.pk


@pytest.mark.django_db
def test_without_a_request_id_one_is_made_and_returned(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)

    response = client.get("/accounts/login/")

    (record,) = _access_records(caplog)
    assert response["X-Request-ID"] == record.request_id
    assert len(record.request_id) == 32


@pytest.mark.django_db(transaction=True)
async def test_the_webhook_path_logs_one_access_line_too(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    headers = [(b"x-request-id", b"from-nginx-1"), (b"content-type", b"application/json")]
    communicator = HttpCommunicator(
        application, "POST", "/notifications/event?k=secret", body=b"{}", headers=headers
    )

    response = await communicator.get_response(timeout=10)

    assert response["status"] == 401
    (record,) = _access_records(caplog)
    assert (record.method, record.path, record.status, record.request_id) == (
        "POST",
        "/notifications/event",
        401,
        "from-nginx-1",
    )
    assert "secret" not in caplog.text
    ingest.close_writers()  # this test's writer thread and its connection


def test_log_lines_outside_a_request_carry_a_dash():
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", (), None)

    logs.RequestIdFilter().filter(record)

    assert record.request_id == "-"
