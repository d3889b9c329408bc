"""Webhook test fixtures: the outbound library's stubbed name resolution ("public" names that
really are loopback), for the webhook tests that send."""

from core.outbound.tests.conftest import PUBLIC_NAME, Resolver, public_loopback, resolver

__all__ = ["PUBLIC_NAME", "Resolver", "public_loopback", "resolver"]
