"""Prometheus metrics of the service, safe under gunicorn's pre-fork workers (prometheus_client multiprocess mode).

When ``PROMETHEUS_MULTIPROC_DIR`` is set (``kubekg serve`` sets it to a fresh temp dir before this module is
imported), every worker writes its samples to files there and ``/metrics`` aggregates them with
``MultiProcessCollector``; otherwise the process-global registry is used (tests, ``flask run``).
Other modules count through the helpers here: ``record_timeout``, ``record_cache_hit``, ``record_cache_miss``.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import values as _values

# A module imported before PROMETHEUS_MULTIPROC_DIR was set would have picked the single-process value class.
_values.ValueClass = _values.get_value_class()

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter(
    "kubekg_http_requests",
    "HTTP requests handled, by endpoint (the URL rule, not the raw path), method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "kubekg_http_request_duration_seconds",
    "Time to produce the response, by endpoint (the URL rule).",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter("kubekg_errors", "Error responses by error code.", ["code", "status"])
TIMEOUTS = Counter("kubekg_query_timeouts", "Queries stopped by their timeout, by endpoint.", ["endpoint"])
CACHE_HITS = Counter("kubekg_cache_hits", "Cache hits, by cache name.", ["cache"])
CACHE_MISSES = Counter("kubekg_cache_misses", "Cache misses, by cache name.", ["cache"])
WORKER_RECYCLES = Counter(
    "kubekg_worker_recycles", "Workers retired after a request asked for it, by reason.", ["reason"]
)


def multiprocess_dir() -> str | None:
    """The prometheus multiprocess directory, or None in single-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def record_timeout(endpoint: str = "/sparql") -> None:
    """Count one query stopped by its timeout."""
    TIMEOUTS.labels(endpoint=endpoint).inc()


def record_cache_hit(cache: str) -> None:
    """Count one hit of the named cache (e.g. ``"sparql-results"``, ``"reasoner"``)."""
    CACHE_HITS.labels(cache=cache).inc()


def record_cache_miss(cache: str) -> None:
    """Count one miss of the named cache."""
    CACHE_MISSES.labels(cache=cache).inc()


def exposition() -> tuple[bytes, str]:
    """The Prometheus text exposition of all metrics (aggregated over workers in multiprocess mode)."""
    directory = multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
