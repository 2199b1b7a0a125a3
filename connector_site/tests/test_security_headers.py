"""The Content-Security-Policy and Cache-Control headers (connector_site.security_headers)."""

import pytest
from channels.testing import HttpCommunicator
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import resolve

from accounts.models import User
from conftest import ADMIN
from connector_site.asgi import WEBHOOK_PATH, application
from connector_site.security_headers import SecurityHeadersMiddleware, policy_for

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws://testserver; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


@pytest.fixture
def logged_in(client):
    user = User.objects.create(username="90000001:admin", lp_account_id="90000001", lp_login_name="admin")
    client.force_login(user)
    return client


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


# --- HTML pages ---


@pytest.mark.parametrize("path", ["/accounts/login/", "/sandbox/", "/sandbox/agent/"])
def test_pages_for_everyone_get_the_policy_and_no_store(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert _no_store(response)


@pytest.mark.parametrize("path", ["/events/", "/conversations/", "/chat/"])
def test_pages_of_a_logged_in_user_get_the_policy_and_no_store(logged_in, path):
    response = logged_in.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert _no_store(response)


def test_the_app_list_of_a_liveperson_user_gets_them(client, sandbox):
    client.post("/accounts/login/", ADMIN)

    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert _no_store(response)


def test_the_admin_gets_the_same_policy_and_no_store(admin_client):
    for path in ["/admin/", "/admin/webhooks/delivery/", "/admin/sandbox/account/add/"]:
        response = admin_client.get(path)

        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == POLICY, path
        assert _no_store(response), path


def test_a_not_found_page_gets_the_policy(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Security-Policy"] == POLICY


def test_debug_error_pages_keep_their_inline_styles(client, settings):
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Content-Security-Policy" not in response


def test_https_pages_allow_their_own_wss_origin(client):
    response = client.get("/accounts/login/", secure=True)

    assert "connect-src 'self' wss://testserver;" in response["Content-Security-Policy"]


def test_the_demo_chat_page_also_allows_https_images():
    request = RequestFactory().get("/chat/1/")
    request.resolver_match = resolve("/chat/1/")

    assert "; img-src 'self' data: blob: https:; " in policy_for(request)


# --- Not HTML ---


def test_static_files_keep_their_own_caching_even_logged_in(logged_in):
    response = logged_in.get("/static/css/site.css")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert not _no_store(response)
    assert "max-age" in response["Cache-Control"]


def test_health_gets_neither_header(client):
    response = client.get("/health")

    assert "Content-Security-Policy" not in response
    assert "Cache-Control" not in response


def test_other_responses_of_a_logged_in_user_get_no_store_only(admin_client):
    response = admin_client.get("/admin/jsi18n/")

    assert response["Content-Type"].startswith("text/javascript")
    assert "Content-Security-Policy" not in response
    assert _no_store(response)


async def test_the_webhook_path_is_left_alone():
    communicator = HttpCommunicator(application, "GET", WEBHOOK_PATH)
    response = await communicator.get_response(timeout=10)

    headers = {name.lower() for name, _ in response["headers"]}
    assert b"content-security-policy" not in headers
    assert b"cache-control" not in headers


# --- A view's own choice, and the async path ---


def _request(*, authenticated: bool):
    request = RequestFactory().get("/anything/")
    user = User(username="u") if authenticated else AnonymousUser()
    request.user = user

    async def auser():
        return user

    request.auser = auser
    return request


def test_a_views_own_headers_are_kept():
    def view(request):
        response = HttpResponse("<p>image</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        response["Cache-Control"] = "private, max-age=3600"
        return response

    response = SecurityHeadersMiddleware(view)(_request(authenticated=True))

    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cache-Control"] == "private, max-age=3600"


async def test_the_async_path_marks_json_of_a_logged_in_user_no_store():
    async def view(request):
        return JsonResponse({"secret": "s"})

    response = await SecurityHeadersMiddleware(view)(_request(authenticated=True))

    assert "Content-Security-Policy" not in response
    assert _no_store(response)


async def test_the_async_path_adds_the_policy_to_html():
    async def view(request):
        return HttpResponse("<p>page</p>")

    response = await SecurityHeadersMiddleware(view)(_request(authenticated=False))

    assert response["Content-Security-Policy"] == POLICY
    assert _no_store(response)
