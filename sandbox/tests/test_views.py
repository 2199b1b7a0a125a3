"""The sandbox answers like LivePerson, to the documented requests and to the
ones the original Node app sends (docs/LIVEPERSON.md, 'Service discovery (CSDS)' and
'Login Service and session')."""

import json

import pytest

from sandbox.models import LoginSession, Notification, RequestLog
from sandbox.services import fault_set, sandbox_seed

pytestmark = pytest.mark.django_db

CSDS_ALL = "/sandbox/csds/api/account/{}/service/baseURI.json"
LOGIN = "/sandbox/agentvep/api/account/{}/login"


@pytest.fixture(autouse=True)
def _seeded():
    sandbox_seed()


def _login(client, *, account="90000001", body=None, query="?v=1.3", **headers):
    body = body if body is not None else {"username": "admin", "password": "sandbox-admin"}
    return client.post(
        LOGIN.format(account) + query, data=json.dumps(body), content_type="application/json", **headers
    )


def test_csds_lists_every_service_on_the_callers_host(client):
    response = client.get(CSDS_ALL.format("90000001"), {"version": "1.0"})

    entries = response.json()["baseURIs"]
    assert response.status_code == 200
    assert {"account": "90000001", "baseURI": "testserver/sandbox/agentvep", "service": "agentVep"} in entries
    assert {e["service"] for e in entries} >= {"accountConfigReadWrite", "sentinel", "idp", "msgHist"}


def test_csds_answers_one_service_as_documented(client):
    response = client.get("/sandbox/csds/api/account/90000001/service/agentVep/baseURI.json?version=1.0")

    assert response.json() == {
        "service": "agentVep",
        "account": "90000001",
        "baseURI": "testserver/sandbox/agentvep",
    }


def test_csds_service_names_are_case_sensitive(client):
    response = client.get("/sandbox/csds/api/account/90000001/service/agentvep/baseURI.json?version=1.0")

    assert response.status_code == 404


def test_csds_answers_an_empty_list_for_an_unknown_account(client):
    response = client.get(CSDS_ALL.format("55555555"), {"version": "1.0"})

    assert response.json() == {"baseURIs": []}


def test_csds_requires_the_version_parameter(client):
    assert client.get(CSDS_ALL.format("90000001")).status_code == 400


def test_login_accepts_the_documented_request(client):
    response = _login(client, HTTP_ACCEPT="application/json")

    body = response.json()
    assert response.status_code == 200
    assert body["config"]["isAdmin"] is True
    assert body["sessionTTl"] == "28800000"
    assert body["bearer"] == LoginSession.objects.get().bearer
    assert response.cookies["Session_id"].value == LoginSession.objects.get().session_id
    assert response.cookies["Session_id"]["httponly"]


def test_login_accepts_the_original_apps_request_without_version_or_accept(client):
    response = _login(client, query="")

    assert response.status_code == 200
    assert response.json()["config"]["loginName"] == "admin"


def test_login_answers_the_csds_collection(client):
    services = {e["service"] for e in _login(client).json()["csdsCollectionResponse"]["baseURIs"]}

    assert "agentVep" in services


def test_login_refuses_a_wrong_password(client):
    response = _login(client, body={"username": "admin", "password": "nope"})

    assert response.status_code == 401
    assert response.json()["error"]["responseStatus"] == "UNAUTHORIZED"
    assert not LoginSession.objects.exists()


def test_login_refuses_an_unknown_account(client):
    assert _login(client, account="55555555").status_code == 401


def test_login_refuses_malformed_json(client):
    response = client.post(LOGIN.format("90000001"), data="{not json", content_type="application/json")

    assert response.status_code == 400


def test_login_refuses_get(client):
    assert client.get(LOGIN.format("90000001")).status_code == 405


def test_refresh_needs_the_session_cookie(client):
    response = client.post(
        "/sandbox/agentvep/api/account/90000001/refresh", data="{}", content_type="application/json"
    )

    assert response.status_code == 401


def test_refresh_with_a_wrong_csrf_answers_the_documented_error(client):
    _login(client)  # the test client keeps the Session_id cookie

    response = client.post(
        "/sandbox/agentvep/api/account/90000001/refresh",
        data=json.dumps({"csrf": "wrong"}),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["error"]["internalCode"] == 10
    assert response.json()["error"]["message"].startswith("CSRF token invalid!")


def test_refresh_answers_200_with_an_empty_body(client):
    csrf = _login(client).json()["csrf"]

    response = client.post(
        "/sandbox/agentvep/api/account/90000001/refresh",
        data=json.dumps({"csrf": csrf}),
        content_type="application/json",
    )

    assert (response.status_code, response.content) == (200, b"")


def test_a_session_past_its_ttl_is_dead(client):
    csrf = _login(client).json()["csrf"]
    LoginSession.objects.update(expires_at="2000-01-01T00:00:00Z")

    response = client.post(
        "/sandbox/agentvep/api/account/90000001/refresh",
        data=json.dumps({"csrf": csrf}),
        content_type="application/json",
    )

    assert response.status_code == 401


def test_a_down_fault_answers_503(client):
    fault_set(service="agentVep", mode="down")

    assert _login(client).status_code == 503


def test_a_fault_on_one_service_leaves_the_others(client):
    fault_set(service="agentVep", mode="down")

    assert client.get(CSDS_ALL.format("90000001"), {"version": "1.0"}).status_code == 200


def test_every_request_is_recorded_with_secrets_masked(client):
    _login(client, HTTP_AUTHORIZATION="Bearer abc")

    record = RequestLog.objects.get()
    assert record.body == {"username": "admin", "password": "********"}
    assert record.headers["Authorization"] == "********"
    assert record.status == 200


def test_the_index_page_lists_the_accounts(client):
    response = client.get("/sandbox/")

    assert b"90000001" in response.content
    assert b"le90000002" in response.content


def test_the_index_page_shows_what_the_webhooks_sent(client):
    from sandbox.tests.webhook_endpoint import queue, sandbox_app

    notification = queue(sandbox_app("https://127.0.0.1/hook"), "conversation-on-the-page", "hi")
    Notification.objects.filter(pk=notification.pk).update(status="dropped", attempts=3, last_status=503)

    response = client.get("/sandbox/")

    assert b"conversation-on-the-page" in response.content
    assert b"Given up: retries or retention exhausted" in response.content
    assert b"HTTP 503" in response.content
