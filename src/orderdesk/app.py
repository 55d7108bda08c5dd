"""The application: one root that mounts each product's partner and operator APIs.

/auto/...          auto partner API          (auto envelope)
/ops/v1/auto/...   auto operator API         (auto envelope)
/crypto/...        crypto partner API        (crypto envelope)
/ops/v1/...        crypto operator API and the shared mail outbox (crypto envelope)
/console/...       operator console (server-rendered web UI)
/healthz /readyz /metrics
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.responses import Response

from orderdesk import __version__, auto, console, crypto
from orderdesk.openapi_export import DOCUMENTS
from orderdesk.platform import heap, metrics, tracing
from orderdesk.platform.clock import Clock
from orderdesk.platform.db import DatabaseUnavailable
from orderdesk.platform.errors import AUTO, ApiError
from orderdesk.platform.http import (
    MountedAppShortcut,
    RequestContextMiddleware,
    install_error_handlers,
    json_response,
    new_app,
)
from orderdesk.platform.logs import configure_logging
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings, load_settings

PRODUCTS = (auto, crypto)  # auto first: /ops/v1/auto must be matched before crypto's /ops/v1
# GET /: where a newcomer goes next (the guides live in the repository's docs/).
INDEX = {
    "name": "orderdesk",
    "version": __version__,
    "guides": "docs/README.md in the repository (docs/auto.md and docs/crypto.md for partners)",
    "api_docs": {document.file.removesuffix(".json").replace("-", "_"): document.docs for document in DOCUMENTS},
    "openapi": {document.file.removesuffix(".json").replace("-", "_"): document.url for document in DOCUMENTS},
    "console": "/console/",
    "health": {"live": "/healthz", "ready": "/readyz", "metrics": "/metrics"},
}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    run_dispatcher: bool = False,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the application. The lifespan opens the database; with `run_dispatcher` it also
    runs the background dispatcher in this process; with `freeze_heap` (the server's process,
    not a test's) it takes the start-up heap out of the garbage collector's walks."""
    settings = settings or load_settings()
    runtime = Runtime.build(settings, clock)
    for product in PRODUCTS:
        product.register_jobs(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.open()
        for product in PRODUCTS:
            await product.on_startup(runtime)
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.dispatcher.run_forever(stop)) if run_dispatcher else None
        sampler = asyncio.create_task(_sample_pool(runtime, stop))
        if freeze_heap:
            heap.freeze_startup_heap()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            stop.set()
            if task is not None:
                await task
            await sampler
            await runtime.close()
            tracing.flush()

    app = new_app(lifespan=lifespan)
    app.state.runtime = runtime
    app.state.ready = False
    install_error_handlers(app, AUTO)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return json_response(INDEX)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        if not app.state.ready:
            raise ApiError(503, "not_ready", "Server is starting")
        return json_response({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        if not (app.state.ready and await runtime.db.ping()):
            raise ApiError(503, "database_unavailable", "Database is not reachable")
        return json_response({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        body, content_type = metrics.render(await _outbox_backlog(runtime))
        return Response(body, media_type=content_type)

    for product in PRODUCTS:
        product.mount(app, runtime)
    console.mount(app, runtime)  # /console: the operator's web UI over the same use cases
    app.add_middleware(MountedAppShortcut, root=app)  # innermost: added first
    app.add_middleware(RequestContextMiddleware)
    tracing.install(app)  # only when OTEL_* variables ask for it
    return app


async def _sample_pool(runtime: Runtime, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Keep this process's pool gauge current (each worker reports its own; /metrics adds them)."""
    while not stop.is_set():
        metrics.set_pool_in_use(runtime.db.in_use())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def _outbox_backlog(runtime: Runtime) -> metrics.CollectorRegistry | None:
    """Due outbox rows per registered kind and the age of the oldest; None while the database is
    away (the scrape still answers, with the error counters that say so)."""
    now = runtime.clock.now()
    try:
        async with runtime.db.transaction(write=False) as conn:
            counts = await conn.fetch(
                "SELECT kind, count(*) AS due FROM outbox WHERE state = 'pending' AND due_at <= :now GROUP BY kind",
                {"now": now},
            )
            found: dict[str, tuple[int, float]] = {}
            for row in counts:  # the oldest read as a column, so both engines type it as a timestamp
                oldest = await conn.fetchval(
                    "SELECT due_at FROM outbox WHERE kind = :kind AND state = 'pending' AND due_at <= :now"
                    " ORDER BY due_at LIMIT 1",
                    {"kind": row["kind"], "now": now},
                )
                age = (now - oldest).total_seconds() if oldest is not None else 0.0
                found[row["kind"]] = (int(row["due"]), max(0.0, age))
    except DatabaseUnavailable:
        return None
    kinds = sorted(set(runtime.dispatcher.kinds()) | set(found))
    return metrics.backlog_families((kind, *found.get(kind, (0, 0.0))) for kind in kinds)


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers (`orderdesk serve`): settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level)
    run_dispatcher = os.environ.get("ORDERDESK__SERVE_DISPATCHER", "1") == "1"
    return create_app(settings, run_dispatcher=run_dispatcher, freeze_heap=True)
