"""core.hostnames: the one DNS-name rule of webhook hosts and projects' custom domains."""

import pytest

from core.hostnames import dns_name_is_valid


@pytest.mark.parametrize(
    "name",
    ["localhost", "a.b", "hooks.example.com", "xn--bcher-kva.example", "a-b.c0", "9.example",
     "a" * 63 + ".com", ".".join(["a" * 61] * 4)],
)  # fmt: skip
def test_a_dns_name_is_valid(name):
    assert len(name) <= 253
    assert dns_name_is_valid(name)


@pytest.mark.parametrize(
    "name",
    ["", ".", "a..b", "example.com.", "-a.com", "a-.com", "a_b.com", "Hooks.example.com",
     "bücher.example", "a" * 64 + ".com", ".".join(["a" * 62] * 5), "a b.com", "*.example.com"],
)  # fmt: skip
def test_anything_else_is_not(name):
    assert not dns_name_is_valid(name)
