"""App creates and updates whose 2xx answer carries no installation, or whose answer never
comes after LivePerson made the app (docs/LIVEPERSON.md, 'Response bodies'): the app is
found (by its name, unique per account) instead of an error, and never made twice."""

import threading

import pytest

from apps_admin import services
from apps_admin.models import Installation
from apps_admin.tests.conftest import lp_of
from liveperson import errors
from sandbox.models import Account
from sandbox.models import Installation as SandboxInstallation

pytestmark = pytest.mark.django_db(transaction=True)


def _answers(shape: str) -> None:
    Account.objects.filter(account_id="90000001").update(install_answer=shape)


def _create(client, name="Bot"):
    return services.installation_create(
        lp=lp_of(client), name=name, description="A bot", endpoint="https://hooks.example.com/lp"
    )


def _made(name="Bot") -> int:
    """How many apps of that name LivePerson (the sandbox) holds."""
    return SandboxInstallation.objects.filter(data__client_name=name, deleted=False).count()


def test_a_create_answered_without_the_installation_finds_it(admin_client):
    _answers("empty")

    created = _create(admin_client)

    made = SandboxInstallation.objects.get(data__client_name="Bot")
    assert created["client_id"] == made.client_id
    record = Installation.objects.get(client_id=made.client_id)
    assert record.client_secret == made.client_secret  # recorded, so webhooks can be checked
    assert _made() == 1


def test_an_update_answered_without_the_installation_reads_it_again(admin_client):
    created = _create(admin_client)
    _answers("empty")

    services.installation_set_enabled(lp=lp_of(admin_client), client_id=created["client_id"], enabled=False)

    assert Installation.objects.get(client_id=created["client_id"]).enabled is False


def test_a_create_whose_answer_timed_out_after_the_app_was_made_is_no_error(admin_client, sandbox, settings):
    settings.LIVEPERSON_READ_TIMEOUT = 0.5
    fault = sandbox.fault("slow", service="accountConfigReadWrite", delay=1.0)
    # The POST has begun its slow answer by then; the lookups after the timeout are quick.
    threading.Timer(0.2, fault.delete).start()

    created = _create(admin_client)

    assert created["client_id"] == SandboxInstallation.objects.get(data__client_name="Bot").client_id
    assert _made() == 1


def test_a_create_with_an_unreadable_answer_and_no_app_says_so(admin_client, sandbox):
    sandbox.fault("garbage", service="accountConfigReadWrite")  # nothing is made

    with pytest.raises(errors.AnswerUnreadableError):
        _create(admin_client)

    assert _made() == 0
