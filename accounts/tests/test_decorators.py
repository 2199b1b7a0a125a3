"""accounts.decorators.liveperson_view, on a view of its own."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.decorators import liveperson_view
from accounts.lp_session import LivePersonSession, lp_session_save
from accounts.models import User
from liveperson import errors

pytestmark = pytest.mark.django_db

LP = LivePersonSession(
    account_id="90000001",
    login_name="admin",
    user_id="1",
    bearer="bearer",
    csrf="csrf",
    session_id="session",
    base_uris={},
    expires_at=0,
    next_refresh_at=0,
)


def _request(user, lp=None):
    request = RequestFactory().get("/page/?x=1")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    if lp is not None:
        lp_session_save(request, lp)
    return request


def _user():
    return User.objects.create(username="90000001:admin", lp_account_id="90000001", lp_login_name="admin")


def _texts(request):
    return [str(message) for message in get_messages(request)]


def test_it_gives_the_view_the_liveperson_session():
    view = liveperson_view(lambda request, lp: HttpResponse(lp.login_name))

    assert view(_request(_user(), LP)).content == b"admin"


def test_it_sends_anonymous_people_to_the_login_page():
    response = liveperson_view(lambda request, lp: HttpResponse())(_request(AnonymousUser()))

    assert response.status_code == 302
    assert "next=/page/" in response.url


def test_it_sends_a_user_without_liveperson_home_saying_so():
    request = _request(_user())

    response = liveperson_view(lambda request, lp: HttpResponse())(request)

    assert response.url == "/"
    assert _texts(request) == ["Log in with a LivePerson account to use this page."]


def test_an_expired_liveperson_session_logs_out_and_comes_back_after_login():
    def view(request, lp):
        raise errors.UnauthorizedError("expired", status=401)

    request = _request(_user(), LP)
    response = liveperson_view(view)(request)

    assert response.url == f"{reverse('accounts:login')}?next=/page/%3Fx%3D1"
    assert request.user.is_anonymous
    assert _texts(request) == ["Your LivePerson session has expired. Please log in again."]


def test_a_liveperson_failure_during_a_change_becomes_the_one_wording_on_the_list():
    def view(request, lp):
        raise errors.UnexpectedResponseError("boom", status=503)

    request = _request(_user(), LP)
    request.method = "POST"
    response = liveperson_view(view)(request)

    assert response.url == "/"
    failure = errors.UnexpectedResponseError("x", status=503)
    assert _texts(request) == [errors.user_message(failure, writing=True)]


def test_a_page_load_while_liveperson_is_down_stays_on_the_page_with_no_message():
    def view(request, lp):
        raise errors.UnexpectedResponseError("boom", status=503)

    request = _request(_user(), LP)
    response = liveperson_view(view)(request)

    assert response.status_code == 503
    assert "LivePerson had a problem (HTTP 503)" in response.content.decode()
    assert _texts(request) == []
