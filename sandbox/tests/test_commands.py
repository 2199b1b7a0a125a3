from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from sandbox.models import Account, Fault, User

pytestmark = pytest.mark.django_db


def test_sandbox_seed_creates_the_published_accounts():
    call_command("sandbox_seed", stdout=StringIO())

    assert set(Account.objects.values_list("account_id", flat=True)) == {
        "90000001",
        "le90000002",
        "qa90000003",
    }
    assert not Account.objects.get(account_id="qa90000003").file_sharing
    admin = User.objects.get(account__account_id="90000001", login_name="admin")
    assert admin.is_admin
    assert admin.check_password("sandbox-admin")
    assert User.objects.get(login_name="lpa").is_lpa
    agent = User.objects.get(login_name="agent")
    assert (agent.is_admin, agent.is_lpa) == (False, False)


def test_sandbox_seed_is_idempotent_and_repairs_passwords():
    call_command("sandbox_seed", stdout=StringIO())
    admin = User.objects.get(account__account_id="90000001", login_name="admin")
    admin.set_password("changed")
    admin.save()

    call_command("sandbox_seed", stdout=StringIO())

    assert User.objects.count() == 5
    assert User.objects.get(pk=admin.pk).check_password("sandbox-admin")


def test_sandbox_fault_sets_lists_and_clears():
    out = StringIO()
    call_command("sandbox_fault", "slow", "--service", "agentVep", "--delay", "2", stdout=out)
    call_command("sandbox_fault", "list", stdout=out)

    fault = Fault.objects.get()
    assert (fault.service, fault.mode, fault.delay_seconds) == ("agentVep", "slow", 2)
    assert "agentVep: answer after a delay" in out.getvalue()

    call_command("sandbox_fault", "clear", stdout=out)
    assert not Fault.objects.exists()


def test_a_new_fault_replaces_the_one_before_even_on_another_service():
    call_command("sandbox_fault", "down", stdout=StringIO())
    call_command("sandbox_fault", "slow", "--service", "agentVep", "--delay", "3", stdout=StringIO())

    fault = Fault.objects.get()
    assert (fault.service, fault.mode) == ("agentVep", "slow")


def test_sandbox_fault_rejects_a_status_that_is_not_http():
    with pytest.raises(CommandError):
        call_command("sandbox_fault", "status", "--status", "42", stdout=StringIO())


def test_the_sandbox_page_names_the_fault_command_as_the_readme_does(client):
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()

    html = client.get("/sandbox/").content.decode()

    assert "<code>bin/manage sandbox_fault slow|down|status|garbage|clear" in html
    assert "python manage.py" not in html
    assert "bin/manage sandbox_fault slow --service agentVep" in readme
