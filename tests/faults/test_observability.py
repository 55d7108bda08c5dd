"""What the provider's operator sees: request metrics per product, route template and status;
webhook outcomes per partner; lease take-overs; sums over several workers; request and job
ids on every log line."""

from __future__ import annotations

import uuid

import httpx
import pytest

from bench.server import free_port
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.db import open_database
from orderdesk.platform.dispatcher import Dispatcher, Outcome
from orderdesk.platform.metrics import render
from orderdesk.platform.outbox import enqueue
from tests.auto.conftest import Operator
from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.observe import log_lines, samples, scrape


def metric(name: str, **labels: str) -> float:
    return samples(render()[0].decode(), name, **labels)


async def test_requests_are_counted_per_product_route_template_and_status(client: httpx.AsyncClient) -> None:
    partner = await Operator(client).partner()
    route = {"product": "auto", "route": "/auto/v1/orders/{order_id}", "status": "404"}
    health = {"product": "platform", "route": "/healthz", "status": "200"}
    unmatched = {"product": "crypto", "route": "unmatched", "status": "404"}
    before = [metric("orderdesk_request_seconds_count", **labels) for labels in (route, health, unmatched)]
    for _ in range(3):
        order_id = str(uuid.uuid4())
        assert (await client.get(f"/auto/v1/orders/{order_id}", headers={"x-api-key": partner.key})).status_code == 404
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/crypto/v1/nowhere")).status_code == 404
    after = [metric("orderdesk_request_seconds_count", **labels) for labels in (route, health, unmatched)]
    assert [b - a for a, b in zip(before, after, strict=True)] == [3, 1, 1]
    assert metric("orderdesk_request_seconds_count", product="auto", route="/healthz") == 0


async def test_webhook_outcomes_are_counted_per_partner(client: httpx.AsyncClient) -> None:
    operator = Operator(client)
    partner = await operator.partner(webhook_url=f"http://127.0.0.1:{free_port()}/hooks")  # nothing listens
    await operator.vehicle("glovis-20260512-0418")
    placed = await partner.place("glovis-20260512-0418", 17500)
    assert placed.status_code == 201, placed.text
    await operator.start("glovis-20260512-0418")  # the order moves: an event for the partner
    before = metric("orderdesk_webhook_deliveries_total", product="auto", partner=partner.id, outcome="retry")
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    after = metric("orderdesk_webhook_deliveries_total", product="auto", partner=partner.id, outcome="retry")
    assert after - before >= 1
    text = (await client.get("/metrics")).text
    assert samples(text, "orderdesk_outbox_due", kind="auto.webhook") == 0  # rescheduled: not due now
    assert "orderdesk_outbox_oldest_due_seconds" in text


async def test_a_lease_take_over_is_counted(database_url: str, clock: ManualClock) -> None:
    db = open_database(database_url)
    await db.open()
    try:
        crashed, survivor = (Dispatcher(db, clock, lease_seconds=60) for _ in range(2))

        async def succeed(job: object) -> Outcome:
            return Outcome.done()

        survivor.register("faults.test", succeed)
        async with db.transaction() as conn:
            await enqueue(conn, "faults.test", ref="r1", due_at=clock.now(), now=clock.now())
        assert len(await crashed._claim()) == 1  # claimed, then the process "dies"
        before = metric("orderdesk_dispatcher_lease_takeovers_total", kind="faults.test")
        assert await survivor.run_once() == 0
        clock.advance(seconds=61)
        assert await survivor.run_once() == 1
        assert metric("orderdesk_dispatcher_lease_takeovers_total", kind="faults.test") - before == 1
        async with db.transaction(write=False) as conn:
            assert await conn.fetchval("SELECT state FROM outbox WHERE ref = 'r1'") == "done"
    finally:
        await db.close()


@pytest.mark.slow
def test_metrics_add_up_over_workers_and_logs_carry_ids(serve: ServerFactory, e2e_database_url: str) -> None:
    workers = ("--workers", "2") if e2e_database_url.startswith("postgres") else ()
    server = serve(*workers, ORDERDESK_LOG_LEVEL="info")
    created = httpx.post(server.base_url + "/ops/v1/auto/partners", json={"name": "Harbor"}, headers=OPS_HEADERS)
    partner_id, key = created.json()["id"], created.json()["api_key"]
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": key}, timeout=30) as client:
        for _ in range(40):
            assert client.get("/auto/v1/vehicles").status_code == 200
            client.close()  # a new connection each time: with two workers both get some
            client = httpx.Client(base_url=server.base_url, headers={"x-api-key": key}, timeout=30)
    for _ in range(4):  # whichever worker answers, it reports the sum of both
        count = scrape(server.base_url, "orderdesk_request_seconds_count", product="auto", route="/auto/v1/vehicles")
        assert count == 40
    lines = [line for line in log_lines(server.log_path) if line.get("event") == "request"]
    searches = [line for line in lines if line.get("path") == "/auto/v1/vehicles"]
    assert len(searches) == 40
    assert all(line["partner_id"] == partner_id and line["request_id"].startswith("req_") for line in searches)
