"""Every special-purpose block of IANA's registries is refused, whatever Python's `ipaddress`
tables say (3.11's call 192.0.0.8, 192.88.99.0/24 and 3fff::/20 global). Pure checks: nothing
here connects anywhere."""

from __future__ import annotations

import pytest

from core.outbound import PUBLIC_ONLY
from core.outbound.address_guard import _SPECIAL_PURPOSE, UrlRefused, address_is_forbidden
from core.outbound.url_policy import url_check


@pytest.mark.parametrize("network", _SPECIAL_PURPOSE, ids=str)
def test_the_first_and_last_address_of_every_special_purpose_block_are_refused(network):
    assert address_is_forbidden(str(network[0]))
    assert address_is_forbidden(str(network[-1]))


@pytest.mark.parametrize(
    "address", ["192.0.0.8", "192.0.0.9", "192.88.99.1", "3fff::1", "5f00::1", "2001:2::1"]
)
def test_blocks_pythons_tables_call_global_are_refused_when_saved_too(address):
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlRefused):
        url_check(url=f"https://{literal}/hook", policy=PUBLIC_ONLY)


# The only public literals in the webhook tests: a pure predicate, nothing connects anywhere.
@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_ordinary_public_addresses_are_not_refused(address):
    assert not address_is_forbidden(address)
