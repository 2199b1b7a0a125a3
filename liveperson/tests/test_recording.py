"""recording.recording(): every call made inside, with secrets masked."""

import json

import pytest
from asgiref.sync import sync_to_async

from liveperson import errors, recording, send_api, transport

MASKED = "********"


def test_it_records_nothing_outside(app):
    with recording.recording() as exchanges:
        pass
    app.app_jwt()

    assert exchanges == []


def test_it_records_the_whole_connector_flow_with_secrets_masked(app):
    with recording.recording() as exchanges:
        auth = app.consumer()
        conversation_id = app.open(auth).conversation_id
        app.text(auth, conversation_id, "hello")

    services = [e.service for e in exchanges]
    assert services == ["csds", "sentinel", "idp", "asyncMessagingEnt", "asyncMessagingEnt"]
    sentinel, idp, opened, sent = exchanges[1:]
    assert sentinel.url.endswith("/sentinel/api/account/90000001/app/token")
    assert "?" not in sentinel.url
    assert sentinel.request_body == {"client_id": app.client_id, "client_secret": MASKED}
    assert sentinel.response_body == {"access_token": MASKED, "token_type": "Bearer"}
    assert idp.request_headers["Authorization"] == MASKED
    assert idp.response_body == {"token": MASKED}
    assert opened.request_headers["X-LP-ON-BEHALF"] == MASKED
    assert opened.response_body[1]["body"]["conversationId"] == conversation_id
    assert sent.request_body["body"]["event"]["message"] == "hello"
    assert (sent.status, sent.error) == (200, "")
    assert sent.duration_ms > 0


def test_no_token_or_secret_appears_anywhere_in_the_record(app):
    with recording.recording() as exchanges:
        auth = app.consumer()

    recorded = json.dumps([vars(e) for e in exchanges])
    for secret in (app.client_secret, auth.app_jwt, auth.consumer_jws):
        assert secret not in recorded


def test_a_refused_call_is_recorded_with_livepersons_answer(app):
    with recording.recording() as exchanges, pytest.raises(errors.ConsumerJwsInvalidError):
        app.open(send_api.ConsumerAuth(app_jwt=app.app_jwt(), consumer_jws=""))

    refused = exchanges[-1]
    assert refused.status == 401
    assert refused.response_body["body"]["errorCode"] == 40104
    assert "401" in refused.error


def test_temp_url_signatures_are_masked(app):
    auth = app.consumer()

    with recording.recording() as exchanges:
        app.send(auth, send_api.upload_url(file_size=10, file_type="PNG"))

    assert exchanges[-1].response_body["body"]["queryParams"]["temp_url_sig"] == MASKED


def test_an_unreachable_service_is_recorded_with_its_error(settings):
    settings.LIVEPERSON_CONNECT_TIMEOUT = 0.5
    settings.LIVEPERSON_RETRIES = 0

    with recording.recording() as exchanges, pytest.raises(errors.UnreachableError):
        transport.request("GET", "http://127.0.0.1:9/nothing?secret=1", service="csds")

    (exchange,) = exchanges
    assert (exchange.url, exchange.status) == ("http://127.0.0.1:9/nothing", None)
    assert exchange.error == "csds: cannot connect"


async def test_it_records_calls_made_in_sync_to_async_threads(app):
    with recording.recording() as exchanges:
        await sync_to_async(app.app_jwt)()

    assert [e.service for e in exchanges] == ["csds", "sentinel"]
