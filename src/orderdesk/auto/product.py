"""How the auto product plugs into the application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from orderdesk.auto import api, ops, webhooks
from orderdesk.auto.auctions import AuctionJobs
from orderdesk.auto.openapi import install_security_scheme
from orderdesk.platform.errors import AUTO
from orderdesk.platform.http import make_subapp
from orderdesk.platform.runtime import Runtime

PARTNER_DESCRIPTION = (
    "Vehicle catalogue and bid orders. Every request carries `x-api-key`; errors use the envelope "
    '`{"error": {"code", "message", "request_id", "details"}}`; timestamps are ISO 8601 with offset.'
)


def mount(root: FastAPI, runtime: Runtime) -> None:
    partner = make_subapp(
        runtime,
        AUTO,
        title="LMN Auto API",
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        description=PARTNER_DESCRIPTION,
    )
    # Added as plain routes: include_router would put one more routing layer on the hot path.
    partner.router.routes.extend(api.router.routes)
    _document_api_key(partner)
    operator = make_subapp(runtime, AUTO, title="LMN Auto operator API")
    operator.include_router(ops.router)
    root.mount("/ops/v1/auto", operator)
    root.mount("/auto", partner)


def _document_api_key(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = install_security_scheme(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def register_jobs(runtime: Runtime) -> None:
    webhooks.register(runtime)
    AuctionJobs(runtime).register()


async def on_startup(runtime: Runtime) -> None:
    return None


async def load_demo(runtime: Runtime, base_url: str, key_file: Path | None = None) -> str:
    """Load demo data; return what to print for a newcomer (keys, a ready-to-paste call).
    auto's keys are API keys, printed only: it writes no key file."""
    from orderdesk.auto.demo import load

    return await load(runtime, base_url)
