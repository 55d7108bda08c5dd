"""Prometheus metrics, exposed at /metrics.

With several API processes (`orderdesk serve --workers N`) `serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts: every process writes
its samples there and /metrics, whichever worker answers it, adds them up (prometheus_client's
multiprocess mode). Figures read from the database (the outbox backlog) are the same for every
process and are computed when /metrics is read.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

__all__ = ["CollectorRegistry"]

REQUESTS = Histogram(
    "orderdesk_request_seconds",
    "HTTP requests by product, route template and status: count and duration",
    ["product", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
JOBS = Counter("orderdesk_jobs_total", "Background jobs run", ["kind", "outcome"])
DB_ERRORS = Counter(
    "orderdesk_db_errors_total",
    "Database operations that failed because the database was unreachable or refused to write",
    ["engine", "error"],
)
DB_POOL_IN_USE = Gauge(
    "orderdesk_db_pool_in_use",
    "Database connections lent out (PostgreSQL pool; SQLite: the single writer busy)",
    multiprocess_mode="livesum",
)
WEBHOOK_DELIVERIES = Counter(
    "orderdesk_webhook_deliveries_total",
    "Webhook delivery attempts by product, partner and outcome (delivered, retry, failed)",
    ["product", "partner", "outcome"],
)
LEASE_TAKEOVERS = Counter(
    "orderdesk_dispatcher_lease_takeovers_total",
    "Outbox rows claimed after another dispatcher's lease on them ran out (it crashed or hung)",
    ["kind"],
)
LEASES_LOST = Counter(
    "orderdesk_dispatcher_leases_lost_total",
    "Attempts whose result was dropped because their lease had been taken over meanwhile",
    ["kind"],
)

RATELIMIT_REDIS_ERRORS = Counter(
    "orderdesk_ratelimit_redis_errors_total",
    "Rate-limit checks that could not reach Redis and were counted in the process instead",
)

#: The webhook outcome label for a dispatcher outcome state.
WEBHOOK_OUTCOMES = {"done": "delivered", "retry": "retry", "dead": "failed"}

#: Reads (kind, pending rows, oldest due age in seconds) from the database; set by the app.
BacklogReader = Callable[[datetime], Awaitable[Iterable[tuple[str, int, float]]]]


# The request histogram's series by label values: `labels()` validates and looks them up under
# a lock on every call. As many as the label combinations (routes x methods x statuses).
_request_series: dict[tuple[str, str, str, int], Histogram] = {}


def observe_request(product: str, method: str, route: str, status: int, seconds: float) -> None:
    key = (product, method, route, status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = REQUESTS.labels(product, method, route, str(status))
    series.observe(seconds)


def observe_job(kind: str, outcome: str) -> None:
    JOBS.labels(kind, outcome).inc()


def observe_db_error(engine: str, error: str) -> None:
    DB_ERRORS.labels(engine, error).inc()


def observe_webhook(product: str, partner: str, outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(product, partner, outcome).inc()


def observe_lease_takeover(kind: str) -> None:
    LEASE_TAKEOVERS.labels(kind).inc()


def observe_lease_lost(kind: str) -> None:
    LEASES_LOST.labels(kind).inc()


def observe_ratelimit_redis_error() -> None:
    RATELIMIT_REDIS_ERRORS.inc()


def set_pool_in_use(count: int) -> None:
    DB_POOL_IN_USE.set(count)


def backlog_families(rows: Iterable[tuple[str, int, float]]) -> CollectorRegistry:
    """The outbox backlog per kind: pending rows that are due, and how late the oldest is."""
    pending = GaugeMetricFamily("orderdesk_outbox_due", "Outbox rows due and not yet done, per kind", labels=["kind"])
    oldest = GaugeMetricFamily(
        "orderdesk_outbox_oldest_due_seconds",
        "How long the oldest due outbox row has waited",
        labels=["kind"],
    )
    for kind, count, age in rows:
        pending.add_metric([kind], count)
        oldest.add_metric([kind], age)

    class _Backlog:
        def collect(self) -> list[GaugeMetricFamily]:
            return [pending, oldest]

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Backlog())  # type: ignore[arg-type]
    return registry


def render(extra: CollectorRegistry | None = None) -> tuple[bytes, str]:
    body = generate_latest(_process_registry())
    if extra is not None:
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST


def _process_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
