"""An app's name is unique in its account (docs/LIVEPERSON.md, 'Installation JSON'): LivePerson,
here the sandbox, refuses a second app of that name, and the create form says so on the name."""

from apps_admin.models import Installation
from apps_admin.services import NAME_TAKEN
from apps_admin.tests.conftest import create_data

CREATE_URL = "/apps/new/"


def _post(client, name: str):
    return client.post(
        CREATE_URL, create_data(name=name, description="d", endpoint="https://hooks.example.com/lp")
    )


def test_a_taken_name_is_a_field_error_on_the_create_form(admin_client, sandbox):
    assert _post(admin_client, "Support bot").status_code == 302

    response = _post(admin_client, "Support bot")

    assert response.status_code == 400
    assert response.context["forms"].basic.errors["name"] == [NAME_TAKEN]
    assert NAME_TAKEN in response.content.decode()
    assert Installation.objects.filter(name="Support bot").count() == 1


def test_another_name_is_fine(admin_client, sandbox):
    assert _post(admin_client, "Support bot").status_code == 302

    assert _post(admin_client, "Sales bot").status_code == 302
