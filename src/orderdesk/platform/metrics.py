"""Prometheus metrics, exposed at /metrics (per process)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Histogram(
    "orderdesk_request_seconds",
    "HTTP request duration",
    ["product", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
JOBS = Counter("orderdesk_jobs_total", "Background jobs run", ["kind", "outcome"])


def observe_request(product: str, method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(product, method, route, str(status)).observe(seconds)


def observe_job(kind: str, outcome: str) -> None:
    JOBS.labels(kind, outcome).inc()


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
