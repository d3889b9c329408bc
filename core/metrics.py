"""Prometheus metrics: every metric keyservice exports, and the typed functions apps count with.

Apps never touch prometheus_client: they call the functions below with values of their own
enums (core knows no app, so the label values arrive as strings the callers derive from
their `StrEnum`s — a bounded set each). No label ever holds a key, a userId, a projectId,
an address or a raw path: routes are URL patterns (`core.metrics_http`), limits are the
constant scope names of `core.ratelimit`.

Several processes: under gunicorn (and Celery's prefork pool) each worker counts in files
under PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, set up and cleaned by
gunicorn.conf.py and keyservice.celery); a scrape adds up every process's files. An exited
process's counts are folded into archive files (core.metrics_archive), so totals never go
backwards and the directory stays bounded. Without it (tests, `runserver`) the process's own
registry is exported.

Gauges that describe the database (the outbox's pending and failed emails) are computed at
scrape time by the gauges registered with `gauge_register` (by the wiring, at start-up): one
query each, per scrape, never on a request's path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from core.metrics_archive import ArchivingCollector

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds: the verify hot path answers in about a millisecond; webhook tests and the
# dashboard's pages in tens to thousands.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "keyservice_http_request_duration_seconds",
    "Time from the first middleware to the response, per URL pattern and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter(
    "keyservice_http_responses",
    "Responses per URL pattern, method and status code.",
    ["route", "method", "status"],
)
VERIFY_OUTCOMES = Counter(
    "keyservice_verify",
    "Credential verifications (apikeys.verifier.credentials.apikey_verify) by outcome: ok or the "
    "VerifyFailure's name.",
    ["outcome"],
)
VERIFY_CACHE = Counter(
    "keyservice_verify_cache",
    "Verify cache lookups: hit (answered from the cache), miss (looked up and stored), "
    "bypass (cache not consulted: disabled or Redis unavailable).",
    ["result"],
)
WEBHOOK_DELIVERIES = Counter(
    "keyservice_webhook_deliveries",
    "Webhook delivery attempts settled, by outcome (core.delivery.DeliveryOutcome).",
    ["outcome"],
)
RATELIMIT_REFUSALS = Counter(
    "keyservice_ratelimit_refusals",
    "Hits refused by a rate limit or concurrency limit (core.ratelimit), by the limit's scope.",
    ["limit"],
)

CacheResult = Literal["hit", "miss", "bypass"]
CACHE_RESULTS: tuple[CacheResult, ...] = ("hit", "miss", "bypass")


@lru_cache(maxsize=2048)
def _child(metric: MetricWrapperBase, labels: tuple[str, ...]) -> Any:
    """`metric.labels(*labels)`, the object prometheus_client returns for them every time,
    kept: its lookup (a lock, label checks) is a measured share of a cache hit's cost on
    the hot path (docs/performance.md). Every label set is bounded (see the module's
    docstring), so the cache holds them all."""
    return metric.labels(*labels)


def http_request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    """One response: its latency and its count, per URL pattern, method (and status)."""
    _child(HTTP_REQUEST_SECONDS, (route, method)).observe(seconds)
    _child(HTTP_RESPONSES, (route, method, str(status))).inc()


def verify_outcome_count(*, outcome: str) -> None:
    """One verification ended with `outcome`: "ok" or a VerifyFailure's name in lower case."""
    _child(VERIFY_OUTCOMES, (outcome,)).inc()


def verify_cache_count(*, result: CacheResult) -> None:
    """One verify cache lookup: "hit", "miss" or "bypass" (anything else is a bug)."""
    if result not in CACHE_RESULTS:
        raise ValueError(f"not a cache result: {result!r}")
    _child(VERIFY_CACHE, (result,)).inc()


def webhook_delivery_count(*, outcome: str) -> None:
    """One webhook delivery settled with `outcome` (a DeliveryOutcome's value)."""
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def ratelimit_refusal_count(*, limit: str) -> None:
    """One hit refused by the limit named `limit` (a constant scope, never an identity)."""
    RATELIMIT_REFUSALS.labels(limit).inc()


def verify_outcomes_declare(*, outcomes: Iterable[str]) -> None:
    """Export 0 for each outcome before its first count (rates then start from a sample)."""
    for outcome in outcomes:
        VERIFY_OUTCOMES.labels(outcome)


def webhook_outcomes_declare(*, outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        WEBHOOK_DELIVERIES.labels(outcome)


for _result in CACHE_RESULTS:
    VERIFY_CACHE.labels(_result)


# --- Gauges computed at scrape time ----------------------------------------------------------


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    documentation: str
    label: str
    values: Callable[[], Mapping[str, float]]  # label value -> sample; may query the database


_gauges: dict[str, ScrapeGauge] = {}


def gauge_register(
    *, name: str, documentation: str, label: str, values: Callable[[], Mapping[str, float]]
) -> None:
    """Register (or replace) a gauge whose samples `values()` computes at each scrape."""
    _gauges[name] = ScrapeGauge(name=name, documentation=documentation, label=label, values=values)


class ScrapeGauges(Collector):
    """The registered gauges, plus keyservice_scrape_gauge_up{gauge} (0: it failed, e.g. the
    database is down; the scrape still answers)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "keyservice_scrape_gauge_up",
            "1 if the gauge was computed at this scrape, else 0.",
            labels=["gauge"],
        )
        for gauge in list(_gauges.values()):
            try:
                samples = dict(gauge.values())
            except Exception as exc:  # a scrape must never fail for one gauge
                logger.warning("metrics gauge %s failed: %s", gauge.name, type(exc).__name__)
                up.add_metric([gauge.name], 0)
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=[gauge.label])
            for value, sample in sorted(samples.items()):
                family.add_metric([value], sample)
            up.add_metric([gauge.name], 1)
            yield family
        yield up


def multiprocess_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR when set (several processes count into files there)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def metrics_render(*, scrape_gauges: bool = True) -> bytes:
    """The exposition text: every process's counters (multiprocess mode) or this process's,
    with the scrape-time gauges when `scrape_gauges`."""
    path = multiprocess_dir()
    if path is None:
        registry: CollectorRegistry = REGISTRY
        if not scrape_gauges:
            return generate_latest(registry)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_ProcessRegistry())
    else:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ArchivingCollector(path))  # live processes' files and the archives
    if scrape_gauges:
        registry.register(ScrapeGauges())
    return generate_latest(registry)


class _ProcessRegistry(Collector):
    """This process's default registry, as one collector of a scrape registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
