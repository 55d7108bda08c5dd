"""How the auto product plugs into the application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from orderdesk.auto import api, ops, webhooks
from orderdesk.auto.auctions import AuctionJobs
from orderdesk.auto.openapi import HEADERS, OPERATOR_MODELS, OPERATOR_SECURITY, PARTNER_MODELS, PARTNER_SECURITY
from orderdesk.platform.errors import AUTO
from orderdesk.platform.http import make_subapp, mount_subapp
from orderdesk.platform.openapi import install_header_components, install_model_schemas, install_security_scheme
from orderdesk.platform.runtime import Runtime

PARTNER_DESCRIPTION = (
    "Vehicle catalogue and bid orders. Every request carries `x-api-key`; errors use the envelope "
    '`{"error": {"code", "message", "request_id", "details"}}`; timestamps are ISO 8601 with offset.'
)
OPERATOR_DESCRIPTION = (
    "LMN staff and scheduler calls: partners and keys, vehicles, auctions and order transitions. Every "
    "request carries `Authorization: Bearer <ORDERDESK_OPS_TOKEN>`; errors use the auto envelope."
)
OPERATOR_PREFIX = "/ops/v1/auto"


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
    install_security_scheme(partner, PARTNER_SECURITY)
    install_model_schemas(partner, PARTNER_MODELS)
    install_header_components(partner, HEADERS)
    mount_subapp(root, "/auto", partner)
    mount_subapp(root, OPERATOR_PREFIX, operator_app(runtime))


def operator_app(runtime: Runtime) -> FastAPI:
    """The operator API; its document is at /ops/v1/auto/docs/openapi.json (public, like the
    partner one) because /ops/v1/auto/openapi.json stays a 404 route_not_found."""
    operator = make_subapp(
        runtime,
        AUTO,
        title="LMN Auto operator API",
        openapi_url="/docs/openapi.json",
        docs_url="/docs",
        description=OPERATOR_DESCRIPTION,
    )
    operator.router.routes.extend(ops.router.routes)  # plain routes, like the partner API's
    install_security_scheme(operator, OPERATOR_SECURITY)
    install_model_schemas(operator, OPERATOR_MODELS)
    install_header_components(operator, HEADERS)
    return operator


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
