"""Benchmark-only code: settings, peer views, seeding and the `make bench` driver.

Never imported by the service or by `make test`; see docs/performance.md.
"""
