"""Daphne, as the application configures it, skips Twisted's form parsing and
still hands form bodies to Django whole."""

import re

import pytest
import requests
from daphne import http_protocol

import connector_site.asgi  # noqa: F401 - installs the tuning, as daphne's import of it does
from conftest import running_daphne
from connector_site import daphne_tuning

pytestmark = pytest.mark.django_db(transaction=True)


def test_daphne_builds_requests_that_skip_form_parsing():
    assert http_protocol.WebRequest is daphne_tuning.WebRequestWithoutFormParsing


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
