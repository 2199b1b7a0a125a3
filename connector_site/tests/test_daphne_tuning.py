"""Daphne, as the application configures it, skips Twisted's form parsing and
still hands form bodies to Django whole."""

import re

import pytest
import requests
from daphne import http_protocol
from twisted.web import http
from twisted.web.test.requesthelper import DummyChannel

import connector_site.asgi  # noqa: F401 - installs the tuning, as daphne's import of it does
from conftest import running_daphne
from connector_site import daphne_tuning
from core import degraded

pytestmark = pytest.mark.django_db(transaction=True)


def test_daphne_builds_requests_that_skip_form_parsing():
    assert http_protocol.WebRequest is daphne_tuning.WebRequestWithoutFormParsing
    # daphne looks the class up when it builds each connection's protocol:
    protocol = http_protocol.HTTPFactory(server=None).buildProtocol(("127.0.0.1", 1))
    assert protocol.requestFactory is daphne_tuning.WebRequestWithoutFormParsing
    assert degraded.active() == {}


@pytest.mark.parametrize(("switch", "parsed"), [(True, {b"a": [b"1"]}), (False, {})])
def test_twisted_parses_a_form_body_only_when_asked(switch, parsed):
    # The switch the subclass sets, on the installed Twisted: a form POST's args.
    request = http.Request(DummyChannel(), parsePOSTFormSubmission=switch)
    body = b"a=1"
    request.requestHeaders.setRawHeaders(b"Content-Type", [b"application/x-www-form-urlencoded"])
    request.requestHeaders.setRawHeaders(b"Content-Length", [str(len(body)).encode()])
    request.gotLength(len(body))
    request.handleContentChunk(body)
    request.requestReceived(b"POST", b"/", b"HTTP/1.1")

    assert request.args == parsed


def test_without_the_switch_daphne_runs_as_it_is_and_says_so(monkeypatch):
    monkeypatch.setattr(http_protocol, "WebRequest", http_protocol.WebRequest)  # restored afterwards
    monkeypatch.setattr(daphne_tuning.http.Request, "__init__", lambda self, channel, queued=None: None)
    degraded.clear()
    try:
        daphne_tuning.install()
        assert "twisted_form_parsing" in degraded.active()
    finally:
        degraded.clear()


def test_a_form_post_through_daphne_still_reaches_django_whole():
    with running_daphne() as server, requests.Session() as browser:
        page = browser.get(f"{server.url}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

        answer = browser.post(
            f"{server.url}/accounts/login/",
            data={
                "csrfmiddlewaretoken": token,
                "account_id": "90000001",
                "login_name": "form-parsing-check",
                "password": "y",
            },
            headers={"Referer": f"{server.url}/accounts/login/"},
            timeout=10,
        )

    # Django read the form: CSRF passed (a 403 otherwise) and the bound form shows what was sent.
    assert answer.status_code == 200
    assert 'value="90000001"' in answer.text
    assert 'value="form-parsing-check"' in answer.text
