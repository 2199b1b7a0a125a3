"""core.addresses: the client's address, normalized, from the peer or our proxies."""

from core import addresses


def test_the_peer_address_normalized_and_remembered(settings):
    settings.NUM_PROXIES = 0
    addresses._normalized.cache_clear()

    assert addresses.client_address("2001:DB8::0001") == "2001:db8::1"
    assert addresses.client_address("2001:DB8::0001") == "2001:db8::1"
    assert addresses._normalized.cache_info().hits == 1  # parsed once


def test_behind_proxies_the_address_they_saw(settings):
    settings.NUM_PROXIES = 1

    assert addresses.client_address("10.0.0.1", "203.0.113.9, 198.51.100.7") == "198.51.100.7"
    assert addresses.client_address("10.0.0.1", "") == "10.0.0.1"


def test_malformed_or_long_values_are_none_and_not_remembered(settings):
    settings.NUM_PROXIES = 1
    addresses._normalized.cache_clear()

    assert addresses.client_address("10.0.0.1", "not-an-address") is None
    assert addresses.client_address("10.0.0.1", "1" * 5000) is None
    assert addresses.client_address(None) is None
    assert addresses._normalized.cache_info().currsize == 1  # only the short one
