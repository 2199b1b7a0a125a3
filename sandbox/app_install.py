"""The sandbox's Account Config: feature grants and the App Install API
(docs/LIVEPERSON.md, 'Async Messaging feature check' and 'App Install API').

Installations are validated with LivePerson's manifest rules
(docs/LIVEPERSON.md, 'Installation JSON'). These
rules are written out here again, on purpose, rather than imported from
apps_admin.manifest: the sandbox stands in for LivePerson, so a mistake in the
app's own rules must show up as a refusal here, not be shared by both. Every
write bumps the account's collection revision (`ac-revision`); updates and
deletes must name the revision they read in `If-Match`.
"""

import re
import secrets
import time
import uuid

from django.db import transaction
from django.utils import timezone

from sandbox.models import Account, Installation

REVISION_MISMATCH = "Revision mismatch: the installation was changed by someone else"
# "Choose the unique name" (docs/LIVEPERSON.md, 'Installation JSON'); LivePerson's status and
# wording for a taken name are not confirmed by any source.
NAME_TAKEN = "client_name must be unique in the account: another app already has this name"
SERVER_FIELDS = {
    "client_id",
    "client_secret",
    "id",
    "client_id_issued_at",
    "client_secret_expires_at",
    "deleted",
}

WEBHOOK_TYPES = {
    "ms.MessagingEventNotification.ContentEvent",
    "ms.MessagingEventNotification.RichContentEvent",
    "ms.MessagingEventNotification.AcceptStatusEvent",
    "ms.MessagingEventNotification.ChatStateEvent",
    "cqm.ExConversationChangeNotification",
    # The installation page's table names the conversation webhook so; its example and the
    # Webhooks pages use cqm.… (docs/LIVEPERSON.md, 'Installation JSON'): both are accepted.
    "ms.MessagingEventNotification.ExConversationChangeNotification",
}
# The original app's regex (docs/LIVEPERSON.md, 'What the original app fills in'),
# `^https\:\/\/[0-9a-zA-Z]([-.\w]*[0-9a-zA-Z])*(:(0-9)*)*(\/?)(P*)?$`
# with P = the path characters below, accepts exactly the strings that follow:
# host, port and slash characters are all path characters, so after the first
# one the rest is just P* (which is also why `https://h:8443/x` passes despite
# the literal `(0-9)` port group). Written this way it cannot backtrack exponentially.
ENDPOINT = re.compile(r"https://[0-9a-zA-Z][a-zA-Z0-9\-.?,:'/\\+=&;%$#_]*", re.ASCII)
GRANT_TYPES = {"client_credentials", "authorization_code", "refresh_token"}
RESPONSE_TYPES = {"code", "token", "id_token", "id_token token"}
MAX_LENGTHS = {"client_name": 128, "display_name": 128, "description": 256, "logo_uri": 1024}
ENGAGEMENT_FLAGS = ("design_engagement", "design_window", "language_selection")
ENGAGEMENT_LISTS = {
    "entry_point": {"section", "url"},
    "visitor_behavior": {
        "visited_location",
        "time_on_location",
        "flow",
        "engaged_in_session",
        "about_to_abandon",
        "cart_value",
        "cart_items",
        "visitor_error",
        "viewed_products",
        "service_activity",
    },
    "target_audience": {
        "external_referral",
        "search_keywords",
        "ip",
        "platform",
        "geo_location",
        "returning_visitors",
        "marketing_source",
        "customer_type",
        "age",
        "balance",
        "customer_id",
        "gender",
        "store_zip_code",
        "store_number",
        "company_size",
        "registration_date",
    },
    "goal": {"url", "purchase_total", "num_of_pages", "lead", "service_activity"},
    "consumer_identity": {"auth", "unauth"},
}
MAX_RETRIES = 5
RETENTION_SECONDS = (2, 259200)


class InstallationInvalidError(Exception):
    """The body breaks a manifest rule; the message names the field."""


class InstallationNotFoundError(Exception):
    pass


class RevisionMismatchError(Exception):
    def __init__(self, revision: int):
        super().__init__(REVISION_MISMATCH)
        self.revision = revision


# --- Feature grants (docs/LIVEPERSON.md, 'Async Messaging feature check') -----


def feature_grants(*, account: Account) -> dict:
    """The account's granted features, in Account Config's nesting."""
    features = {
        "Common.Async_Messaging": account.async_messaging,
        "Common.Messaging_Connector_API": True,
        "Common.Post_Conversation_Survey": True,
        "Common.Co_Browse": False,
    }
    items = [
        {
            "compoundFeatureID": feature_id,
            "startDate": "2020-01-01T00:00:00Z",
            "endDate": None,
            "value": {"value": value},
            "isDeleted": False,
        }
        for feature_id, value in features.items()
    ]
    return {
        "appDataList": [
            {
                "appName": "provision",
                "accountList": {
                    "accountList": [{"accountId": account.account_id, "itemsCollection": {"data": items}}]
                },
            }
        ]
    }


# --- Installations (docs/LIVEPERSON.md, 'App Install API') --------------------


def installation_list(*, account: Account) -> list[Installation]:
    return list(Installation.objects.live().filter(account=account))


def installation_get(*, account: Account, client_id: str) -> Installation:
    installation = Installation.objects.live().filter(account=account, client_id=client_id).first()
    if installation is None:
        raise InstallationNotFoundError(client_id)
    return installation


def installation_create(*, account: Account, data) -> tuple[Installation, int]:
    """Validate and store a new installation; answer it with the new revision."""
    cleaned = installation_validate(data)
    with transaction.atomic():
        locked = _locked_account(account)
        _check_name_free(locked, cleaned["client_name"])
        installation = Installation.objects.create(
            account=locked,
            client_id=str(uuid.uuid4()),
            client_secret=secrets.token_urlsafe(48),
            client_id_issued_at=int(time.time()),
            data=cleaned,
        )
        return installation, _bump(locked)


def installation_update(*, account: Account, client_id: str, data, if_match: str) -> tuple[Installation, int]:
    """Replace the client's fields of an installation, if `if_match` is current.

    Preconditions come first, as in HTTP: unknown (404), stale (412), then the body (400).
    """
    with transaction.atomic():
        locked = _locked_account(account)
        installation = installation_get(account=locked, client_id=client_id)
        _check_revision(locked, if_match)
        installation.data = installation_validate(data)
        _check_name_free(locked, installation.data["client_name"], other_than=installation)
        installation.updated_at = timezone.now()
        installation.save(update_fields=["data", "updated_at"])
        return installation, _bump(locked)


def installation_delete(*, account: Account, client_id: str, if_match: str) -> int:
    """Mark an installation deleted, if `if_match` is current; answer the new revision."""
    with transaction.atomic():
        locked = _locked_account(account)
        installation = installation_get(account=locked, client_id=client_id)
        _check_revision(locked, if_match)
        installation.deleted = True
        installation.updated_at = timezone.now()
        installation.save(update_fields=["deleted", "updated_at"])
        return _bump(locked)


def _locked_account(account: Account) -> Account:
    # The row lock makes check-then-bump atomic between concurrent writers.
    return Account.objects.select_for_update().get(pk=account.pk)


def _check_name_free(account: Account, name: str, *, other_than: Installation | None = None) -> None:
    """Under the account's row lock, so two concurrent creates cannot both take a name."""
    taken = Installation.objects.live().filter(account=account, data__client_name=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise InstallationInvalidError(NAME_TAKEN)


def _check_revision(account: Account, if_match: str) -> None:
    if if_match.strip().removeprefix("W/").strip('"') != str(account.revision):
        raise RevisionMismatchError(account.revision)


def _bump(account: Account) -> int:
    account.revision += 1
    account.save(update_fields=["revision"])
    return account.revision


# --- Validation (docs/LIVEPERSON.md, 'Installation JSON') ---------------------


def installation_validate(data) -> dict:
    """The body to store: server-assigned fields dropped, manifest rules checked."""
    if not isinstance(data, dict):
        raise InstallationInvalidError("Body must be a JSON object")
    cleaned = {key: value for key, value in data.items() if key not in SERVER_FIELDS}
    if not isinstance(cleaned.get("client_name"), str) or not cleaned["client_name"].strip():
        raise InstallationInvalidError("client_name is required")
    _check_strings(cleaned)
    _check_subset(cleaned, "grant_types", GRANT_TYPES)
    _check_subset(cleaned, "response_types", RESPONSE_TYPES)
    if "scope" in cleaned and cleaned["scope"] != "msg.consumer":
        raise InstallationInvalidError('scope must be "msg.consumer"')
    if "enabled" in cleaned and not isinstance(cleaned["enabled"], bool):
        raise InstallationInvalidError("enabled must be a boolean")
    if "capabilities" in cleaned:
        cleaned["capabilities"] = _clean_capabilities(cleaned["capabilities"])
    return cleaned


def _check_strings(data: dict) -> None:
    for field, limit in MAX_LENGTHS.items():
        if field not in data:
            continue
        if not isinstance(data[field], str):
            raise InstallationInvalidError(f"{field} must be a string")
        if len(data[field]) > limit:
            raise InstallationInvalidError(f"{field} must be at most {limit} characters")


def _check_subset(data: dict, field: str, allowed: set, *, required: bool = False) -> None:
    if field not in data:
        if required:
            raise InstallationInvalidError(f"{field} is required")
        return
    values = data[field]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InstallationInvalidError(f"{field} must be a list of strings")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InstallationInvalidError(f"{field} has an unknown value: {unknown[0]!r}")
    if len(set(values)) != len(values):
        raise InstallationInvalidError(f"{field} has duplicate values")


def _clean_capabilities(capabilities) -> dict:
    if not isinstance(capabilities, dict):
        raise InstallationInvalidError("capabilities must be an object")
    cleaned = dict(capabilities)
    if "webhooks" in cleaned:
        cleaned["webhooks"] = _clean_webhooks(cleaned["webhooks"])
    if "engagement" in cleaned:
        _check_engagement(cleaned["engagement"])
    return cleaned


def _clean_webhooks(webhooks) -> dict:
    if not isinstance(webhooks, dict):
        raise InstallationInvalidError("capabilities.webhooks must be an object")
    cleaned = dict(webhooks)
    for key, webhook in webhooks.items():
        if key == "retry":
            if _retention_time(webhook) == 0:
                del cleaned["retry"]  # the seed's "no retry", same as leaving it out
        elif key in WEBHOOK_TYPES:
            _check_webhook(f"capabilities.webhooks.{key}", webhook)
        else:
            raise InstallationInvalidError(f"capabilities.webhooks has an unknown key: {key!r}")
    return cleaned


def _check_webhook(path: str, webhook) -> None:
    if not isinstance(webhook, dict):
        raise InstallationInvalidError(f"{path} must be an object")
    endpoint = webhook.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InstallationInvalidError(f"{path}.endpoint is required")
    if not ENDPOINT.fullmatch(endpoint):
        raise InstallationInvalidError(f"{path}.endpoint must be a valid https:// URL")
    retries = webhook.get("max_retries", 0)
    if not _is_int(retries) or not 0 <= retries <= MAX_RETRIES:
        raise InstallationInvalidError(f"{path}.max_retries must be an integer from 0 to {MAX_RETRIES}")
    _check_headers(f"{path}.headers", webhook.get("headers", []))


def _check_headers(path: str, headers) -> None:
    if not isinstance(headers, list):
        raise InstallationInvalidError(f"{path} must be a list")
    for header in headers:
        if not isinstance(header, dict):
            raise InstallationInvalidError(f"{path} entries must be objects")
        name, value = header.get("header_name"), header.get("header_value")
        if not isinstance(name, str) or not name.strip():
            raise InstallationInvalidError(f"{path} entries need a non-empty header_name")
        if not isinstance(value, str):
            raise InstallationInvalidError(f"{path} entries need a string header_value")


def _retention_time(retry) -> int | None:
    if not isinstance(retry, dict):
        raise InstallationInvalidError("capabilities.webhooks.retry must be an object")
    seconds = retry.get("retention_time")
    low, high = RETENTION_SECONDS
    if seconds is not None and (not _is_int(seconds) or not (seconds == 0 or low <= seconds <= high)):
        raise InstallationInvalidError(
            f"capabilities.webhooks.retry.retention_time must be 0 or an integer from {low} to {high}"
        )
    return seconds


def _check_engagement(engagement) -> None:
    path = "capabilities.engagement"
    if not isinstance(engagement, dict):
        raise InstallationInvalidError(f"{path} must be an object")
    for flag in ENGAGEMENT_FLAGS:
        if not isinstance(engagement.get(flag), bool):
            raise InstallationInvalidError(f"{path}.{flag} is required and must be a boolean")
    for field, allowed in ENGAGEMENT_LISTS.items():
        try:
            _check_subset(engagement, field, allowed, required=True)
        except InstallationInvalidError as error:
            raise InstallationInvalidError(f"{path}.{error}") from None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
