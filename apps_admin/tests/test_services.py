"""Installation services through real HTTP against the sandbox App Install API."""

import pytest
from django.db import connection

from apps_admin import manifest, services
from apps_admin.models import Installation
from apps_admin.tests.conftest import creds_of, lp_of
from liveperson import app_install, errors

DEMO = "https://connector.example.com:8443/notifications/event"


def _create(client, name="Bot", endpoint="https://hooks.example.com/lp"):
    return services.installation_create(lp=lp_of(client), name=name, description="A bot", endpoint=endpoint)


def _stored_secret(record: Installation) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT client_secret_encrypted FROM {Installation._meta.db_table} WHERE id = %s", [record.pk]
        )
        return cursor.fetchone()[0]


def _edit(current: dict, **changes) -> services.InstallationEdit:
    webhooks = manifest.webhooks_of(current)
    values = {
        "name": current["client_name"],
        "description": current["description"],
        "enabled": current["enabled"],
        "webhooks": {
            kind: services.WebhookEdit(
                endpoint=(webhooks.get(kind) or {}).get("endpoint", ""),
                headers=(webhooks.get(kind) or {}).get("headers", []),
                max_retries=None,
            )
            for kind in manifest.WEBHOOK_TYPES
        },
        "retention_time": 0,
        "engagement": current["capabilities"]["engagement"],
    }
    return services.InstallationEdit(**{**values, **changes})


def test_create_installs_the_app_and_records_its_secret_encrypted(admin_client):
    created = _create(admin_client)

    record = Installation.objects.get(client_id=created["client_id"])
    assert record.account_id == "90000001"
    assert record.name == "Bot"
    assert record.enabled is True
    assert record.endpoints == dict.fromkeys(manifest.WEBHOOK_TYPES, "https://hooks.example.com/lp")
    assert record.client_secret == created["client_secret"]
    assert created["client_secret"] not in _stored_secret(record)


def test_list_shows_only_connector_apps_of_the_account(admin_client, qa_client):
    _create(admin_client, name="Mine")
    _create(qa_client, name="Theirs")
    app_install.create_installation(creds_of(admin_client), {"client_name": "No scope", "description": "x"})

    rows = services.installation_list(lp=lp_of(admin_client), demo_url=DEMO)

    assert [row.name for row in rows] == ["Mine"]
    assert rows[0].created is not None


def test_list_marks_apps_uninstalled_elsewhere_as_deleted(admin_client):
    created = _create(admin_client)
    current = app_install.get_installation(creds_of(admin_client), created["client_id"])
    app_install.delete_installation(creds_of(admin_client), created["client_id"], current.revision)

    services.installation_list(lp=lp_of(admin_client), demo_url=DEMO)

    assert Installation.objects.get(client_id=created["client_id"]).deleted_at is not None


def test_get_brings_the_local_record_in_step(admin_client, lpa_client):
    created = _create(admin_client)
    services.installation_set_enabled(lp=lp_of(lpa_client), client_id=created["client_id"], enabled=False)
    Installation.objects.update(enabled=True)  # as if the change had happened in LivePerson's UI

    services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"])

    assert Installation.objects.get().enabled is False


def test_update_saves_the_edit_and_keeps_the_rest_of_the_manifest(admin_client):
    created = _create(admin_client)
    current = services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"])
    hooks = _edit(current.data).webhooks
    hooks[manifest.WEBHOOK_TYPES[0]] = services.WebhookEdit(
        endpoint="https://other.example.com/x",
        headers=[{"header_name": "X-Key", "header_value": "1"}],
        max_retries=3,
    )
    hooks[manifest.WEBHOOK_TYPES[1]] = services.WebhookEdit(endpoint="", headers=[], max_retries=None)

    saved = services.installation_update(
        lp=lp_of(admin_client),
        client_id=created["client_id"],
        revision=current.revision,
        edit=_edit(current.data, name="Renamed", webhooks=hooks, retention_time=86400),
    ).data

    webhooks = saved["capabilities"]["webhooks"]
    assert saved["client_name"] == "Renamed"
    assert webhooks[manifest.WEBHOOK_TYPES[0]] == {
        "endpoint": "https://other.example.com/x",
        "headers": [{"header_name": "X-Key", "header_value": "1"}],
        "max_retries": 3,
    }
    assert manifest.WEBHOOK_TYPES[1] not in webhooks  # empty endpoints are left out
    assert webhooks["retry"] == {"retention_time": 86400}
    assert saved["client_secret"] == created["client_secret"]
    assert saved["grant_types"] == ["client_credentials"]
    assert Installation.objects.get().name == "Renamed"


def test_two_users_editing_the_same_app_the_second_save_conflicts(admin_client, lpa_client):
    created = _create(admin_client)
    first = services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"])
    second = services.installation_get(lp=lp_of(lpa_client), client_id=created["client_id"])
    services.installation_update(
        lp=lp_of(admin_client),
        client_id=created["client_id"],
        revision=first.revision,
        edit=_edit(first.data, name="Admin's name"),
    )

    with pytest.raises(errors.ConflictError):
        services.installation_update(
            lp=lp_of(lpa_client),
            client_id=created["client_id"],
            revision=second.revision,
            edit=_edit(second.data, name="LPA's name"),
        )

    current = services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"])
    assert current.data["client_name"] == "Admin's name"


def test_demo_mode_points_every_endpoint_here_and_keeps_headers(admin_client):
    created = _create(admin_client)
    current = services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"])
    hooks = _edit(current.data).webhooks
    kind = manifest.WEBHOOK_TYPES[3]
    hooks[kind] = services.WebhookEdit(
        endpoint="https://x.example.com/",
        headers=[{"header_name": "X-T", "header_value": "v"}],
        max_retries=None,
    )
    services.installation_update(
        lp=lp_of(admin_client),
        client_id=created["client_id"],
        revision=current.revision,
        edit=_edit(current.data, webhooks=hooks),
    )

    services.installation_set_demo(lp=lp_of(admin_client), client_id=created["client_id"], demo_url=DEMO)

    saved = services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"]).data
    assert manifest.is_demo(saved, DEMO)
    assert saved["capabilities"]["webhooks"][kind]["headers"] == [{"header_name": "X-T", "header_value": "v"}]
    assert set(Installation.objects.get().endpoints.values()) == {DEMO}


def test_enable_and_disable(admin_client):
    created = _create(admin_client)

    services.installation_set_enabled(lp=lp_of(admin_client), client_id=created["client_id"], enabled=False)
    assert (
        services.installation_get(lp=lp_of(admin_client), client_id=created["client_id"]).data["enabled"]
        is False
    )

    services.installation_set_enabled(lp=lp_of(admin_client), client_id=created["client_id"], enabled=True)
    assert Installation.objects.get().enabled is True


def test_delete_uninstalls_and_marks_the_record(admin_client):
    created = _create(admin_client)

    services.installation_delete(lp=lp_of(admin_client), client_id=created["client_id"])

    assert services.installation_list(lp=lp_of(admin_client), demo_url=DEMO) == []
    assert Installation.objects.get().deleted_at is not None


def test_another_accounts_app_is_not_found_without_asking_liveperson(admin_client, qa_client, sandbox):
    theirs = _create(qa_client)
    calls_before = len(sandbox.requests_to("accountConfigReadWrite"))

    with pytest.raises(errors.NotFoundError):
        services.installation_get(lp=lp_of(admin_client), client_id=theirs["client_id"])
    with pytest.raises(errors.NotFoundError):
        services.installation_secret(account_id="90000001", client_id=theirs["client_id"])

    assert len(sandbox.requests_to("accountConfigReadWrite")) == calls_before


def test_an_app_unknown_here_and_in_the_account_is_not_found_by_liveperson(admin_client):
    with pytest.raises(errors.NotFoundError):
        services.installation_get(lp=lp_of(admin_client), client_id="no-such-app")


def test_async_messaging_comes_from_feature_grants(admin_client, qa_client):
    assert services.account_async_messaging(lp=lp_of(admin_client)) is True
    assert services.account_async_messaging(lp=lp_of(qa_client)) is False


def test_the_demo_endpoint_keeps_a_non_standard_port(rf, settings):
    settings.PUBLIC_BASE_URL = ""
    request = rf.get("/", HTTP_HOST="connector.example.com:8443")
    settings.ALLOWED_HOSTS = ["connector.example.com"]

    assert services.demo_endpoint(request) == "https://connector.example.com:8443/notifications/event"


def test_the_demo_endpoint_prefers_the_configured_public_url(rf, settings):
    settings.PUBLIC_BASE_URL = "https://public.example.com:444/"

    assert services.demo_endpoint(rf.get("/")) == "https://public.example.com:444/notifications/event"
