import pytest

from accounts.lp_session import LivePersonSession, lp_session_get
from conftest import ADMIN, LPA, QA_ADMIN
from liveperson import app_install


def _logged_in(client, credentials):
    response = client.post("/accounts/login/", credentials)
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def admin_client(client, sandbox):
    return _logged_in(client, ADMIN)


@pytest.fixture
def lpa_client(sandbox):
    from django.test import Client

    return _logged_in(Client(), LPA)


@pytest.fixture
def qa_client(sandbox):
    from django.test import Client

    return _logged_in(Client(), QA_ADMIN)


def lp_of(client) -> LivePersonSession:
    class _Request:
        session = client.session

    return lp_session_get(_Request())


def creds_of(client) -> app_install.Credentials:
    lp = lp_of(client)
    return app_install.Credentials(
        base_uri=lp.base_uris["accountConfigReadWrite"], account_id=lp.account_id, bearer=lp.bearer
    )
