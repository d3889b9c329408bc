"""Number formatting shared by the reports of docs/performance.md."""

from __future__ import annotations


def fixed(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def cache_counts(c: dict) -> str:
    """A run's leased-cache lookups as `hits / misses / bypasses`."""
    return f"{c.get('hit', 0):,} / {c.get('miss', 0):,} / {c.get('bypass', 0):,}"
