"""How the crypto product plugs into the application."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from orderdesk.crypto import api, api_address_book, api_webhooks, kyc, ledger, ops, webhooks
from orderdesk.crypto.openapi import OPERATOR_SECURITY, PARTNER_SECURITY, install_document
from orderdesk.crypto.orders import expiry, send_stages
from orderdesk.platform.dispatcher import Job, Outcome
from orderdesk.platform.errors import CRYPTO
from orderdesk.platform.http import make_subapp
from orderdesk.platform.runtime import Runtime

PARTNER_DESCRIPTION = (
    "Crypto-as-a-service partner API. Every request except the public ones carries "
    "`Authorization: Bearer <JWT>` (RS512, `iss` = API key, `iat` = now). Errors use the envelope "
    '`{"error_code", "error_msg", "request_id"}`.'
)

OPERATOR_DESCRIPTION = (
    "Crypto operator API and the shared mail outbox. Every request carries "
    "`Authorization: Bearer <ORDERDESK_OPS_TOKEN>`. Errors use the crypto envelope "
    '`{"error_code", "error_msg", "request_id"}`.'
)


def mount(root: FastAPI, runtime: Runtime) -> None:
    partner = make_subapp(
        runtime,
        CRYPTO,
        title="Lirium API",
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        description=PARTNER_DESCRIPTION,
    )
    partner.router.routes.extend(api.router.routes)
    partner.router.routes.extend(api_address_book.router.routes)
    partner.router.routes.extend(api_webhooks.router.routes)
    install_document(partner, PARTNER_SECURITY, "/crypto")
    operator = make_subapp(
        runtime,
        CRYPTO,
        title="Lirium operator API",
        openapi_url="/openapi.json",
        docs_url="/docs",
        description=OPERATOR_DESCRIPTION,
    )
    operator.router.routes.extend(ops.router.routes)  # the routes carry the router's operator check
    install_document(operator, OPERATOR_SECURITY, "/ops/v1")
    root.mount("/crypto", partner)
    root.mount("/ops/v1", operator)


def register_jobs(runtime: Runtime) -> None:
    async def kyc_deadlines(now: datetime) -> int:
        return await kyc.expire_deadlines(runtime, now)

    async def quote_expiry(now: datetime) -> int:
        return await expiry.expire_due(runtime, now)

    async def authorization_expiry(now: datetime) -> int:
        return await send_stages.expire_due_authorizations(runtime, now)

    async def ledger_roll_up(now: datetime) -> int:
        if runtime.db.dialect == "sqlite":  # balances are updated in place there: no deltas
            return 0
        async with runtime.db.transaction() as conn:
            return await ledger.roll_up(conn)

    async def send_delivery(job: Job) -> Outcome:
        await send_stages.deliver(runtime, job.ref)
        return Outcome.done()

    runtime.dispatcher.add_sweep("crypto.kyc_deadlines", kyc_deadlines)
    runtime.dispatcher.add_sweep("crypto.quote_expiry", quote_expiry)
    runtime.dispatcher.add_sweep("crypto.authorization_expiry", authorization_expiry)
    runtime.dispatcher.add_sweep("crypto.ledger_roll_up", ledger_roll_up)
    runtime.dispatcher.register(send_stages.DELIVERY_KIND, send_delivery)
    webhooks.register(runtime)


async def on_startup(runtime: Runtime) -> None:
    await webhooks.load_signer(runtime)


async def load_demo(runtime: Runtime, base_url: str, key_file: Path | None = None) -> str:
    """Load demo data; return what to print for a newcomer (keys, a ready-to-paste call).
    The partner's private key goes to `key_file`, by default a file of this database's own."""
    from orderdesk.crypto.demo import load

    return await load(runtime, base_url, key_file)
