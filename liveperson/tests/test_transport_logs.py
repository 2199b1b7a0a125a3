"""Every LivePerson call is logged with its duration; failures as warnings."""

import logging

import pytest

from conftest import free_port
from liveperson import errors, transport


def test_a_call_that_cannot_connect_is_logged_as_a_warning_with_its_duration(settings, caplog):
    settings.LIVEPERSON_RETRIES = 0
    transport.reset_session()
    caplog.set_level(logging.INFO, logger="liveperson.transport")
    url = f"http://127.0.0.1:{free_port()}/api/account/1?secret=abc"

    with pytest.raises(errors.UnreachableError):
        transport.request("GET", url, service="csds")

    (record,) = [
        r for r in caplog.records if r.name == "liveperson.transport" and r.getMessage().startswith("live")
    ]
    assert record.levelno == logging.WARNING
    assert (record.service, record.method, record.outcome) == ("csds", "GET", "unreachable")
    assert record.duration_ms >= 0
    assert "secret" not in record.getMessage()


@pytest.mark.django_db(transaction=True)
def test_an_error_status_is_logged_as_a_warning(sandbox, caplog):
    caplog.set_level(logging.INFO, logger="liveperson.transport")

    with pytest.raises(errors.LivePersonError):
        transport.request("GET", f"{sandbox.url}/sandbox/no-such-page", service="csds")

    (record,) = [r for r in caplog.records if getattr(r, "service", None) == "csds"]
    assert record.levelno == logging.WARNING
    assert record.outcome == 404
