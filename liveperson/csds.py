"""Service discovery through CSDS, the Domain API (docs/LIVEPERSON.md,
'Service discovery (CSDS)').

https://developers.liveperson.com/essential-resources-domain-api.html
"""

import threading
import time

import pydantic
from django.conf import settings

from liveperson import errors, transport
from liveperson.schemas import BaseURIs

SERVICE = "csds"

QA_PREFIXES = ("le", "qa")

_cache: dict[str, tuple[float, dict[str, str]]] = {}
_cache_lock = threading.Lock()


def csds_domain(account_id: str) -> str:
    """QA accounts (ids starting with "le" or "qa", docs/LIVEPERSON.md, 'Service discovery
    (CSDS)') have their own CSDS host."""
    if account_id.lower().startswith(QA_PREFIXES):
        return settings.CSDS_DOMAIN_QA
    return settings.CSDS_DOMAIN


def get_base_uris(account_id: str) -> dict[str, str]:
    """Every service's base URI for an account, cached for CSDS_CACHE_SECONDS."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(account_id)
    if cached and cached[0] > now:
        return cached[1]
    services = _fetch_base_uris(account_id)
    if not services:
        raise errors.UnknownAccountError(f"{SERVICE}: no services for this account", service=SERVICE)
    with _cache_lock:
        _cache[account_id] = (now + settings.CSDS_CACHE_SECONDS, services)
    return services


def get_base_uri(account_id: str, service: str) -> str:
    """The base URI of one service, e.g. "agentVep"."""
    try:
        return get_base_uris(account_id)[service]
    except KeyError:
        raise errors.UnknownAccountError(
            f"{SERVICE}: account has no {service} service", service=SERVICE
        ) from None


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _fetch_base_uris(account_id: str) -> dict[str, str]:
    path = f"/api/account/{transport.account_path(account_id)}/service/baseURI.json"
    url = transport.service_url(csds_domain(account_id), path)
    try:
        response = transport.request("GET", url, service=SERVICE, params={"version": "1.0"})
    except (errors.NotFoundError, errors.UnexpectedResponseError) as exc:
        if exc.status in (400, 404):  # CSDS's answer for an account id it does not know
            raise errors.UnknownAccountError(
                f"{SERVICE}: unknown account", status=exc.status, service=SERVICE
            ) from None
        raise
    try:
        return BaseURIs.model_validate(transport.json_body(response, service=SERVICE)).as_map()
    except pydantic.ValidationError:
        raise errors.UnexpectedResponseError(f"{SERVICE}: unexpected answer", service=SERVICE) from None
