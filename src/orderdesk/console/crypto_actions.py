"""The console's calls into the crypto use cases: the same parsers and use cases as the routes
of /ops/v1/crypto and /ops/v1/mail (crypto/ops.py), fed from form fields. The one place to
re-point when the request schemas change shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderdesk.console.forms import number, present, text, text_list
from orderdesk.crypto import assets, customers, errors, investments, kyc, ledger, partners, webhooks
from orderdesk.crypto.orders import deposits, reads, send_stages
from orderdesk.crypto.repositories import ledger as ledger_repo
from orderdesk.platform import mail
from orderdesk.platform.ids import is_hex32
from orderdesk.platform.runtime import Runtime

Form = Mapping[str, Any]


async def create_partner(runtime: Runtime, form: Form) -> dict[str, Any]:
    body: dict[str, Any] = {"name": form.get("name", ""), "public_key_pem": form.get("public_key_pem", "")}
    currencies = text_list(form, "settlement_currencies")
    if currencies is not None:
        body["settlement_currencies"] = currencies
    operations = form.get("security_code_operations")
    if operations is not None:
        body["security_code_operations"] = text_list(form, "security_code_operations") or []
    return await partners.create_partner(runtime, partners.partner_input(body, creating=True))


async def update_partner(runtime: Runtime, partner_id: str, form: Form) -> dict[str, Any]:
    """Settlement currencies and active flag (PATCH /ops/v1/crypto/partners/{id})."""
    if not is_hex32(partner_id):
        raise errors.not_found("Partner not found")
    async with runtime.db.transaction(write=False) as conn:
        if await partners.load(conn, partner_id) is None:
            raise errors.not_found("Partner not found")
    body: dict[str, Any] = {"active": form.get("active") == "true"}
    for name in ("settlement_currencies", "scopes", "products", "security_code_operations"):
        if name in form:
            body[name] = text_list(form, name) or []
    if "redemption_commission_enabled" in form:
        body["redemption_commission_enabled"] = form.get("redemption_commission_enabled") == "true"
    return await partners.patch_partner(runtime, partner_id, partners.partner_input(body, creating=False))


async def get_partner(runtime: Runtime, partner_id: str) -> dict[str, Any]:
    if not is_hex32(partner_id):
        raise errors.not_found("Partner not found")
    return await partners.get_partner(runtime, partner_id)


async def set_price(runtime: Runtime, currency: str, form: Form) -> dict[str, Any]:
    """PUT /ops/v1/crypto/prices/{currency}."""
    if not await assets.asset_exists(runtime, currency):
        raise errors.not_found("Asset not found")
    body = present({"quote_currency": text(form, "quote_currency"), "bid": text(form, "bid"), "ask": text(form, "ask")})
    quote, bid, ask = assets.price_input(body)
    return await assets.put_price(runtime, currency, quote, bid, ask)


def _networks(form: Form) -> list[dict[str, Any]]:
    """One network a line: `<name> <send fee>` (fee defaults to 0)."""
    networks = []
    for line in str(form.get("networks") or "").splitlines():
        parts = line.split()
        if parts:
            networks.append({"network": parts[0], "send_fee": parts[1] if len(parts) > 1 else "0"})
    return networks


async def put_asset(runtime: Runtime, currency: str, form: Form) -> tuple[int, dict[str, Any]]:
    """PUT /ops/v1/crypto/assets/{currency}: add or replace (empty operations withdraw it)."""
    if not assets.ASSET_CODE.fullmatch(currency) or await assets.names_an_investment(runtime, currency):
        raise errors.not_found()
    body = present(
        {
            "decimal_places": number(form, "decimal_places"),
            "allowed_operations": text_list(form, "allowed_operations") or [],
            "networks": _networks(form),
            "max_order_value": text(form, "max_order_value"),
        }
    )
    values = assets.asset_input(body, currency, runtime.settings.crypto_default_max_order_value_usd)
    return await assets.put_asset(runtime, currency, values)


async def put_investment(runtime: Runtime, investment_id: str, form: Form) -> tuple[int, dict[str, Any]]:
    """PUT /ops/v1/crypto/investments/{id}: add or replace."""
    body = present(
        {
            "name": text(form, "name"),
            "quote_asset": text(form, "quote_asset"),
            "network": text(form, "network"),
            "provider_id": text(form, "provider_id"),
            "enabled": form.get("enabled", "true") == "true",
            "decimal_places": number(form, "decimal_places"),
            "subscription": present(
                {"min_amount": text(form, "subscription_min"), "max_amount": text(form, "subscription_max")}
            ),
            "redemption": present(
                {"min_amount": text(form, "redemption_min"), "max_amount": text(form, "redemption_max")}
            ),
            "fee": {"type": "earnings_percentage", "value": text(form, "fee_value") or ""},
            "apy": text(form, "apy"),
        }
    )
    return await investments.put_investment(runtime, investment_id, body)


async def deposit(runtime: Runtime, customer_id: str, form: Form) -> dict[str, Any]:
    """POST /ops/v1/crypto/customers/{id}/deposits: the completed receive order."""
    body = present(
        {
            "currency": text(form, "currency"),
            "amount": text(form, "amount"),
            "network": text(form, "network"),
            "tx_hash": text(form, "tx_hash"),
            "fee": text(form, "fee"),
        }
    )
    return await deposits.deposit(runtime, customer_id, body)


async def change_state(runtime: Runtime, customer_id: str, form: Form) -> dict[str, Any]:
    return await customers.change_state(runtime, customer_id, present({"state": text(form, "state")}))


async def review_requirement(runtime: Runtime, customer_id: str, requirement_id: str, form: Form) -> dict[str, Any]:
    body = present({"status": text(form, "status"), "rejection_reason": text(form, "rejection_reason")})
    return await kyc.review_requirement(runtime, customer_id, requirement_id, body)


async def fail_send(runtime: Runtime, order_id: str, form: Form) -> dict[str, Any]:
    return await send_stages.fail(runtime, order_id, present({"reason": text(form, "reason")}))


async def get_customer(runtime: Runtime, customer_id: str) -> dict[str, Any]:
    """The customer as the operator sees it (any partner)."""
    async with runtime.db.transaction(write=False) as conn:
        return await customers.snapshot(conn, customer_id, runtime.settings)


async def customer_accounts(runtime: Runtime, customer_id: str) -> list[dict[str, Any]]:
    async with runtime.db.transaction(write=False) as conn:
        rows = await ledger_repo.customer_accounts(conn, customer_id)
        places = await partners.currency_places(conn)
    return [
        {"currency": r["currency"], "amount": partners.format_amount(r["currency"], r["balance"], places)}
        for r in sorted(rows, key=lambda r: r["currency"])
    ]


async def get_order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    """The order as GET shows it (spec 8)."""
    async with runtime.db.transaction(write=False) as conn:
        exists = is_hex32(order_id) and await conn.fetchval(
            "SELECT COUNT(*) FROM crypto_orders WHERE id = :id", {"id": order_id}
        )
        if not exists:
            raise errors.order_not_found()
        return await reads.snapshot(conn, order_id, runtime.clock.now())


async def ledger_check(runtime: Runtime) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        return await ledger.check(conn)


async def mail_outbox(runtime: Runtime, to: str | None, limit: int = 50) -> list[dict[str, Any]]:
    async with runtime.db.transaction(write=False) as conn:
        return await mail.list_messages(conn, to or None, limit)


async def redeliver(runtime: Runtime, delivery_id: str) -> dict[str, Any]:
    """A failed webhook delivery attempted again (crypto/webhooks.redeliver)."""
    return await webhooks.redeliver(runtime, delivery_id)
