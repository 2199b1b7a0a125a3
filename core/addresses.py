"""The client's address of a request, trusting X-Forwarded-For only from our own proxies."""

import ipaddress

from django.conf import settings


def client_address(remote: str | None, forwarded_for: str = "") -> str | None:
    """The address DJANGO_NUM_PROXIES proxies in front of us saw, else the peer's; None if malformed."""
    candidate = remote
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            candidate = forwarded[-settings.NUM_PROXIES]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
