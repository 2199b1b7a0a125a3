from conftest import ADMIN
from sandbox.models import LoginSession


def test_logout_ends_both_sessions(client, sandbox):
    client.post("/accounts/login/", ADMIN)

    response = client.post("/accounts/logout/", follow=True)

    assert b"You are logged out" in response.content
    assert "_auth_user_id" not in client.session
    assert LoginSession.objects.get().ended_at is not None
    (request,) = sandbox.requests_to("agentVep", "/logout")
    assert request.body == {"csrf": "********"}


def test_logout_works_when_liveperson_is_down(client, sandbox):
    client.post("/accounts/login/", ADMIN)
    sandbox.fault("down", service="agentVep")

    client.post("/accounts/logout/")

    assert "_auth_user_id" not in client.session


def test_logout_refuses_get(client, db):
    assert client.get("/accounts/logout/").status_code == 405


def test_logout_requires_the_csrf_token(sandbox):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get("/accounts/login/")
    token = csrf_client.cookies["csrftoken"].value
    csrf_client.post("/accounts/login/", {**ADMIN, "csrfmiddlewaretoken": token})

    assert csrf_client.post("/accounts/logout/").status_code == 403
