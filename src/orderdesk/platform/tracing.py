"""Optional OpenTelemetry tracing: HTTP requests in, database statements (PostgreSQL), webhook
and other HTTP calls out.

Off unless the standard OTEL_* variables ask for it: OTEL_TRACES_EXPORTER (`otlp`, `console`)
or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and
not OTEL_SDK_DISABLED=true. The exporter, sampler, service name and resource come from the
same variables (OTEL_SERVICE_NAME defaults to `orderdesk`). The packages are the optional
extra `otel` (`pip install 'orderdesk[otel]'`) and are imported only when tracing is on: with
tracing off nothing is imported and nothing runs per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import structlog

log = structlog.get_logger("orderdesk.tracing")

_installed = False


def tracing_requested(env: Mapping[str, str] = os.environ) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def install(app: object) -> bool:
    """Set up tracing for this process and wrap `app` (a FastAPI/Starlette app) when the
    environment asks for it. Returns whether tracing is on."""
    global _installed
    if not tracing_requested():
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
    except ImportError as exc:
        log.warning("tracing_unavailable", error=str(exc), hint="pip install 'orderdesk[otel]'")
        return False
    if not _installed:
        exporter: SpanExporter
        if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "orderdesk")})
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        AsyncPGInstrumentor().instrument()
        HTTPXClientInstrumentor().instrument()
        _installed = True
    app.add_middleware(OpenTelemetryMiddleware)  # type: ignore[attr-defined]
    log.info("tracing_on")
    return True


def flush() -> None:
    """Export what is buffered (at shutdown)."""
    if _installed:
        from opentelemetry import trace

        provider = trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush()
