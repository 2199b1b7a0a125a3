"""Managing an account's Connector API app installations through LivePerson,
keeping the local record (with the encrypted client secret) in step."""

import copy
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.lp_session import LivePersonSession
from apps_admin import manifest
from apps_admin.models import Installation
from liveperson import app_install, errors

CONNECTOR_SCOPE = "msg.consumer"
# Looking for an app whose create got no usable answer: how often, how far apart, and how
# much LivePerson's client_id_issued_at may lag behind our clock.
CREATED_CHECKS = 3
CREATED_CHECK_PAUSE = 1.0
CLOCK_SLACK_SECONDS = 60
DEMO_PATH = "/notifications/event"


@dataclass(frozen=True)
class AppRow:
    """One line of the apps list."""

    client_id: str
    name: str
    description: str
    enabled: bool
    demo: bool
    created: datetime | None


@dataclass(frozen=True)
class WebhookEdit:
    endpoint: str
    headers: list[dict]
    max_retries: int | None


@dataclass(frozen=True)
class InstallationEdit:
    """Everything the edit page changes; the rest of the manifest is kept."""

    name: str
    description: str
    enabled: bool
    webhooks: dict[str, WebhookEdit]
    retention_time: int
    engagement: dict


def credentials(lp: LivePersonSession) -> app_install.Credentials:
    base_uri = lp.base_uris.get(app_install.SERVICE)
    if not base_uri:
        raise errors.UnknownAccountError("account has no accountConfigReadWrite service", service="csds")
    return app_install.Credentials(base_uri=base_uri, account_id=lp.account_id, bearer=lp.bearer)


def demo_endpoint(request) -> str:
    """This deployment's webhook URL; LivePerson only calls https endpoints."""
    base = settings.PUBLIC_BASE_URL.rstrip("/") or f"https://{request.get_host()}"
    return f"{base}{DEMO_PATH}"


# --- Reading ----------------------------------------------------------------------


def account_async_messaging(*, lp: LivePersonSession) -> bool | None:
    """Whether the account has Async Messaging, which the Connector API needs."""
    return app_install.get_async_messaging(credentials(lp))


def installation_list(*, lp: LivePersonSession, demo_url: str) -> list[AppRow]:
    """The account's Connector API apps (scope msg.consumer)."""
    installations = app_install.list_installations(credentials(lp)).data
    _record_all(lp.account_id, installations)
    return [_row(item, demo_url) for item in installations if item.get("scope") == CONNECTOR_SCOPE]


def installation_list_last_known(*, account_id: str, demo_url: str) -> tuple[list[AppRow], datetime | None]:
    """The account's Connector API apps as this site last saw them, and when: for the list
    while LivePerson does not answer."""
    records = list(Installation.objects.for_account(account_id).installed().filter(scope=CONNECTOR_SCOPE))
    rows = [
        AppRow(
            client_id=record.client_id,
            name=record.name,
            description=record.description,
            enabled=record.enabled,
            demo=len(record.endpoints) == len(manifest.WEBHOOK_TYPES)
            and set(record.endpoints.values()) == {demo_url},
            created=record.issued_at,
        )
        for record in records
    ]
    return rows, max((record.synced_at for record in records), default=None)


def installation_get(*, lp: LivePersonSession, client_id: str) -> app_install.Revisioned:
    _refuse_foreign(lp.account_id, client_id)
    current = app_install.get_installation(credentials(lp), client_id)
    _record(lp.account_id, current.data)
    return current


def installation_secret(*, account_id: str, client_id: str) -> str:
    """The client secret from the local record, for the explicit reveal only."""
    record = Installation.objects.for_account(account_id).installed().filter(client_id=client_id).first()
    if record is None:
        raise errors.NotFoundError("no such app in this account", status=404)
    return record.client_secret


# --- Changing -----------------------------------------------------------------------


def installation_create(
    *,
    lp: LivePersonSession,
    name: str,
    description: str,
    endpoint: str = "",
    edit: InstallationEdit | None = None,
    demo_url: str = "",
) -> dict:
    """Install a new app with what the original app fills in
    (docs/LIVEPERSON.md, 'What the original app fills in'), then the create form's
    choices (`edit`: per-type endpoints, headers, retention, engagement); with
    `demo_url` every event type goes there, keeping the headers."""
    body = manifest.new_installation(name=name, description=description, endpoint=endpoint)
    if edit is not None:
        body = apply_edit(body, edit)
    if demo_url:
        body["capabilities"]["webhooks"] = manifest.all_endpoints(manifest.webhooks_of(body), demo_url)
    created = _create(lp, body)
    _record(lp.account_id, created)
    return created


def _create(lp: LivePersonSession, body: dict) -> dict:
    """POST the new installation and return it as LivePerson has it.

    The answer may carry no installation (docs/LIVEPERSON.md, 'Response bodies'), or none
    may come (a timeout, an unreadable body, a 5xx) after LivePerson made the app: then the
    app is looked up by its name, unique per account (and issued since the POST), so the
    user neither gets an error for an app that exists nor makes a second one by retrying.
    """
    started = timezone.now()
    try:
        created = app_install.create_installation(credentials(lp), body).data
    except errors.LivePersonError as exc:
        if not _maybe_written(exc):
            raise
        found = _created_since(lp, body["client_name"], started, checks=CREATED_CHECKS)
        if found is None:
            raise
        return found
    if created:
        return created
    found = _created_since(lp, body["client_name"], started, checks=1)
    if found is None:
        raise errors.UnexpectedResponseError(
            "accountConfigReadWrite: the app was accepted but is not in the list", service=app_install.SERVICE
        )
    return found


def _maybe_written(exc: errors.LivePersonError) -> bool:
    """A failure after which the write may have been carried out all the same."""
    if isinstance(exc, errors.TimedOutError | errors.AnswerUnreadableError):
        return True
    return isinstance(exc, errors.UnexpectedResponseError) and (exc.status or 0) >= 500


def _created_since(lp: LivePersonSession, name: str, started: datetime, *, checks: int) -> dict | None:
    """The account's installation named `name` issued since `started`, looking `checks`
    times CREATED_CHECK_PAUSE apart (a slow LivePerson may still be making it)."""
    since = started.timestamp() - CLOCK_SLACK_SECONDS
    for attempt in range(checks):
        if attempt:
            time.sleep(CREATED_CHECK_PAUSE)
        try:
            installations = app_install.list_installations(credentials(lp)).data
        except errors.LivePersonError:
            continue
        for item in filter(lambda found: isinstance(found, dict), installations):
            issued = item.get("client_id_issued_at")
            if (
                item.get("client_name") == name
                and not item.get("deleted")
                and isinstance(issued, int | float)
                and issued >= since
            ):
                return item
    return None


NAME_TAKEN = "Another app on this LivePerson account already has this name: choose another one."


def is_refused_name(exc: errors.LivePersonError) -> bool:
    """Whether LivePerson refused a create for its name, which must be unique in the account
    (docs/LIVEPERSON.md, 'Installation JSON'). Its answer is not documented: a 400 that names
    client_name, or a 409, which on a create (no revision to be stale) can only be the name."""
    if isinstance(exc, errors.ConflictError):
        return True
    return exc.status == 400 and "client_name" in (exc.detail or "")


def installation_update(
    *, lp: LivePersonSession, client_id: str, revision: str, edit: InstallationEdit
) -> app_install.Revisioned:
    """Save an edit made on the revision the user loaded; ConflictError if it is stale."""
    current = installation_get(lp=lp, client_id=client_id)
    return _put(lp, client_id, apply_edit(current.data, edit), revision)


def installation_set_enabled(*, lp: LivePersonSession, client_id: str, enabled: bool) -> None:
    current = installation_get(lp=lp, client_id=client_id)
    _put(lp, client_id, {**current.data, "enabled": enabled}, current.revision)


def installation_set_demo(*, lp: LivePersonSession, client_id: str, demo_url: str) -> None:
    """Send every event type to this deployment's webhook receiver, remembering the
    endpoints it replaces (installation_restore_endpoints puts them back)."""
    current = installation_get(lp=lp, client_id=client_id)
    changed = copy.deepcopy(current.data)
    capabilities = changed.setdefault("capabilities", {})
    before = manifest.webhooks_of(changed)
    capabilities["webhooks"] = manifest.all_endpoints(before, demo_url)
    if not manifest.is_demo(current.data, demo_url):
        _remember_endpoints(lp.account_id, client_id, manifest.routing_of(before))
    _put(lp, client_id, changed, current.revision)


def endpoints_before_demo(*, account_id: str, client_id: str) -> dict:
    """Event type -> {endpoint, max_retries} as they were before demo mode ({} if unknown)."""
    record = Installation.objects.for_account(account_id).filter(client_id=client_id).first()
    return record.endpoints_before_demo if record else {}


def installation_restore_endpoints(*, lp: LivePersonSession, client_id: str) -> bool:
    """Put back the endpoints demo mode replaced; False when none are remembered."""
    before = endpoints_before_demo(account_id=lp.account_id, client_id=client_id)
    if not before:
        return False
    current = installation_get(lp=lp, client_id=client_id)
    changed = copy.deepcopy(current.data)
    capabilities = changed.setdefault("capabilities", {})
    capabilities["webhooks"] = manifest.with_routing(manifest.webhooks_of(changed), before)
    _put(lp, client_id, changed, current.revision)
    _remember_endpoints(lp.account_id, client_id, {})
    return True


def _remember_endpoints(account_id: str, client_id: str, routing: dict) -> None:
    Installation.objects.for_account(account_id).filter(client_id=client_id).update(
        endpoints_before_demo=routing
    )


def installation_delete(*, lp: LivePersonSession, client_id: str) -> None:
    current = installation_get(lp=lp, client_id=client_id)
    app_install.delete_installation(credentials(lp), client_id, current.revision)
    Installation.objects.for_account(lp.account_id).filter(client_id=client_id).update(
        deleted_at=timezone.now(), synced_at=timezone.now()
    )


def apply_edit(installation: dict, edit: InstallationEdit) -> dict:
    """The full manifest with the edit applied; empty endpoints are left out."""
    changed = copy.deepcopy(installation)
    changed.update(client_name=edit.name, description=edit.description, enabled=edit.enabled)
    capabilities = changed.setdefault("capabilities", {})
    webhooks = {
        key: value
        for key, value in manifest.webhooks_of(changed).items()
        if key not in manifest.WEBHOOK_TYPES and key != "retry"
    }
    for kind, hook in edit.webhooks.items():
        if hook.endpoint:
            webhooks[kind] = {"endpoint": hook.endpoint, "headers": hook.headers}
            if hook.max_retries is not None:
                webhooks[kind]["max_retries"] = hook.max_retries
    if edit.retention_time:
        webhooks["retry"] = {"retention_time": edit.retention_time}
    capabilities["webhooks"] = webhooks
    capabilities["engagement"] = edit.engagement
    return changed


def _put(lp, client_id: str, body: dict, revision: str) -> app_install.Revisioned:
    saved = app_install.update_installation(credentials(lp), client_id, body, revision)
    if not saved.data:  # a 2xx without the installation (docs/LIVEPERSON.md, 'Response bodies')
        saved = app_install.get_installation(credentials(lp), client_id)
    _record(lp.account_id, saved.data)
    return saved


# --- The local record ------------------------------------------------------------------


def _refuse_foreign(account_id: str, client_id: str) -> None:
    """An app known to belong to another account is 'not found' here, before any call."""
    if Installation.objects.filter(client_id=client_id).exclude(account_id=account_id).exists():
        raise errors.NotFoundError("no such app in this account", status=404)


@transaction.atomic
def _record_all(account_id: str, installations: list[dict]) -> None:
    """Bring the account's records in step with a full list from LivePerson."""
    seen = [item["client_id"] for item in installations if item.get("client_id")]
    for item in installations:
        _record(account_id, item)
    now = timezone.now()
    Installation.objects.for_account(account_id).installed().exclude(client_id__in=seen).update(
        deleted_at=now, synced_at=now
    )


def _record(account_id: str, data: dict) -> None:
    client_id = data.get("client_id") or data.get("id")
    if not client_id:
        return
    record = Installation.objects.filter(account_id=account_id, client_id=client_id).first()
    record = record or Installation(account_id=account_id, client_id=client_id)
    record.name = data.get("client_name", "")
    record.description = data.get("description", "")
    record.scope = data.get("scope", "")
    record.enabled = bool(data.get("enabled"))
    record.endpoints = manifest.endpoints_of(data)
    record.issued_at = _issued_at(data)
    record.deleted_at = timezone.now() if data.get("deleted") else None
    record.synced_at = timezone.now()
    secret = data.get("client_secret") or ""
    if secret:
        record.client_secret = secret
    record.save()


def _issued_at(data: dict) -> datetime | None:
    issued = data.get("client_id_issued_at")
    return datetime.fromtimestamp(issued, tz=UTC) if isinstance(issued, int | float) and issued else None


def _row(item: dict, demo_url: str) -> AppRow:
    return AppRow(
        client_id=item.get("client_id", ""),
        name=item.get("client_name", ""),
        description=item.get("description", ""),
        enabled=bool(item.get("enabled")),
        demo=manifest.is_demo(item, demo_url),
        created=_issued_at(item),
    )
