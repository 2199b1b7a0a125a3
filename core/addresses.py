"""The client's address of a request, trusting X-Forwarded-For only from our own proxies."""

import functools
import ipaddress

from django.conf import settings

# The longest textual IP address (an IPv6 one ending in IPv4 form) is 45 characters.
LONGEST_ADDRESS = 45


def client_address(remote: str | None, forwarded_for: str = "") -> str | None:
    """The address DJANGO_NUM_PROXIES proxies in front of us saw, else the peer's; None if malformed."""
    candidate = remote
    if settings.NUM_PROXIES:
        forwarded = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            candidate = forwarded[-settings.NUM_PROXIES]
    if candidate is None or len(candidate) > LONGEST_ADDRESS:
        return None if candidate is None else _normalized.__wrapped__(candidate)
    return _normalized(candidate)


# Every webhook request asks for its sender's address, and they come from a few
# addresses: parsing each again was 1-2 % of daphne's CPU at full load (py-spy,
# bin/bench). Only strings short enough to be an address are remembered, at most
# a thousand of them, so a stranger's headers cannot fill it.
@functools.lru_cache(maxsize=1024)
def _normalized(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
