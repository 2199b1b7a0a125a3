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


def posted(forms) -> dict:
    """What a browser posts for an apps_admin.forms.InstallationForms left as shown."""
    data = {}
    for bound in [forms.basic, forms.engagement] + [form for _, _, form, _ in forms.webhooks]:
        for field in bound:
            value = field.value()
            if value is True:
                data[field.html_name] = "on"
            elif value is not None and value is not False:
                data[field.html_name] = value
    for _, _, _, headers in forms.webhooks:
        data.update({f"{headers.prefix}-{k}": v for k, v in headers.management_form.initial.items()})
        for index, row in enumerate(headers.initial or []):
            data[f"{headers.prefix}-{index}-header_name"] = row["header_name"]
            data[f"{headers.prefix}-{index}-header_value"] = row["header_value"]
    return data


def create_data(*, name="Bot", description="A bot", endpoint="", demo=False, **fields) -> dict:
    """The create form as posted with `endpoint` for every event type (or demo mode) and
    the rest of its defaults; `fields` override any posted field by its name."""
    from apps_admin.forms import WEBHOOK_PREFIXES, InstallationForms

    data = posted(InstallationForms())
    data.update({"basic-name": name, "basic-description": description})
    if demo:
        data["basic-demo"] = "on"
    for prefix in WEBHOOK_PREFIXES.values():
        data[f"{prefix}-endpoint"] = endpoint
    data.update(fields)
    return data
