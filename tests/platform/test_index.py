"""GET / points a newcomer to the docs, the documents and the health endpoints; the process's
own endpoints are not counted as a product's in the metrics."""

from __future__ import annotations

import httpx

from orderdesk import __version__


async def test_root_is_an_index_whose_links_answer(client: httpx.AsyncClient) -> None:
    index = await client.get("/")
    assert index.status_code == 200 and index.headers["content-type"] == "application/json"
    body = index.json()
    assert body["version"] == __version__ and "docs/" in body["guides"]
    assert set(body["openapi"]) == {"auto", "ops_auto", "crypto", "ops_crypto"}
    for path in [*body["api_docs"].values(), *body["openapi"].values()]:
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get(body["console"])).status_code in (200, 303, 307), body["console"]  # to sign-in
    for path in body["health"].values():
        assert (await client.get(path)).status_code == 200, path


async def test_health_checks_are_counted_under_platform(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/auto/v1/vehicles")
    metrics = (await client.get("/metrics")).text
    assert 'product="platform",route="/healthz",status="200"' in metrics
    assert 'product="auto",route="/healthz"' not in metrics
    assert 'product="auto",route="/auto/v1/vehicles"' in metrics or 'product="auto",route="/v1/vehicles"' in metrics
