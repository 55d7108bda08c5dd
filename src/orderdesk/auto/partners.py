"""Partner and API key use cases of the operator API (spec 8.2, 8.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from orderdesk.auto import errors, repository
from orderdesk.auto.auth import DISPLAY_PREFIX_LENGTH, generate_api_key, generate_webhook_secret, key_digest
from orderdesk.auto.inputs import NewPartner, Page, PartnerPatch
from orderdesk.auto.serializers import key_json, partner_json
from orderdesk.auto.timefmt import kst
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, Row
from orderdesk.platform.runtime import Runtime


def _allowlist_text(entries: list[str] | None) -> str | None:
    return None if entries is None else orjson.dumps(entries).decode()


async def _issue_key(conn: Connection, partner_id: str, environment: str, now: datetime) -> dict[str, str]:
    api_key = generate_api_key(environment)
    key_id = ids.new_ulid()
    await repository.insert_api_key(
        conn,
        key_id=key_id,
        partner_id=partner_id,
        digest=key_digest(api_key),
        key_prefix=api_key[:DISPLAY_PREFIX_LENGTH],
        now=now,
    )
    return {"key_id": key_id, "api_key": api_key}


async def create_partner(runtime: Runtime, new: NewPartner) -> dict[str, Any]:
    """A partner with its first API key; the key and the webhook secret are shown only here."""
    now = runtime.clock.now()
    partner = {
        "id": ids.new_ulid(),
        "name": new.name,
        "environment": new.environment,
        "ip_allowlist": _allowlist_text(new.ip_allowlist),
        "webhook_url": new.webhook_url,
        "webhook_secret": generate_webhook_secret(),
        "created_at": now,
    }
    async with runtime.db.transaction() as conn:
        await repository.insert_partner(conn, partner)
        key = await _issue_key(conn, str(partner["id"]), new.environment, now)
    return {
        "id": partner["id"],
        "name": new.name,
        "environment": new.environment,
        "ip_allowlist": new.ip_allowlist,
        "webhook_url": new.webhook_url,
        **key,
        "webhook_secret": partner["webhook_secret"],
        "created_at": kst(now),
    }


async def patch_partner(runtime: Runtime, partner_id: str, patch: PartnerPatch) -> dict[str, Any]:
    async with runtime.db.transaction() as conn:
        row = await repository.get_partner(conn, partner_id, lock=True)
        if row is None:
            raise errors.partner_not_found()
        current = dict(partner_json(row))
        current.update(patch.fields)
        await repository.update_partner(
            conn, partner_id, ip_allowlist=_allowlist_text(current["ip_allowlist"]), webhook_url=current["webhook_url"]
        )
    return current


async def list_partners(runtime: Runtime, page: Page) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:

        async def fetch(condition: str, params: dict[str, Any], order_by: str, limit: int) -> list[Row]:
            return await repository.list_partners(conn, condition, params, order_by, limit)

        rows = await page.sort.page(fetch, page.after, page.limit + 1)
    rows, next_cursor = page.next_cursor(rows)
    return {"data": [partner_json(row) for row in rows], "next_cursor": next_cursor}


async def get_partner(runtime: Runtime, partner_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        row = await repository.get_partner(conn, partner_id)
        keys = await repository.partner_keys(conn, partner_id) if row is not None else []
    if row is None:
        raise errors.partner_not_found()
    return {**partner_json(row), "keys": [key_json(key) for key in keys]}


async def create_key(runtime: Runtime, partner_id: str) -> dict[str, str]:
    """A new active key with the partner's prefix; existing keys stay active (rotation)."""
    async with runtime.db.transaction() as conn:
        row = await repository.get_partner(conn, partner_id, lock=True)
        if row is None:
            raise errors.partner_not_found()
        return await _issue_key(conn, partner_id, row["environment"], runtime.clock.now())


async def revoke_key(runtime: Runtime, partner_id: str, key_id: str) -> None:
    """Revoking an already revoked key changes nothing."""
    async with runtime.db.transaction() as conn:
        if await repository.get_partner(conn, partner_id) is None:
            raise errors.partner_not_found()
        if await repository.get_key(conn, partner_id, key_id) is None:
            raise errors.api_key_not_found()
        await repository.revoke_key(conn, key_id, runtime.clock.now())
