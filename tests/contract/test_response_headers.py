"""Answers schema fuzzing does not reach (a 429, an idempotent replay, a refused operator token)
pass the fuzzing tests' checks: above all, every contract header they carry is declared, those
declared required are present, and each is as its schema says."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis

from tests.auto.conftest import PALISADE
from tests.auto.conftest import Operator as AutoOperator
from tests.conftest import ClientFactory
from tests.contract.checks import CHECKS
from tests.crypto.conftest import Operator as CryptoOperator


async def _assert_conforms(client: httpx.AsyncClient, document_url: str, path: str, answer: httpx.Response) -> None:
    document = (await client.get(document_url)).json()
    operation = schemathesis.openapi.from_dict(document)[path][answer.request.method]
    operation.Case().validate_response(answer, checks=CHECKS)


async def test_auto_replay_refusal_and_limit(make_client: ClientFactory) -> None:
    client = await make_client(rate_limit="2/minute")
    operator = AutoOperator(client)
    partner = await operator.partner()
    await operator.vehicle("glovis-20260512-0418", PALISADE)
    placed = await partner.place("glovis-20260512-0418", 18200, key="5f0c6a4e-8a1d-4b8e-9a51-0d7f3c2b1e90")
    replay = await partner.place("glovis-20260512-0418", 18200, key="5f0c6a4e-8a1d-4b8e-9a51-0d7f3c2b1e90")
    limited = await partner.get("/v1/orders")
    assert (placed.status_code, replay.status_code, limited.status_code) == (201, 200, 429)
    assert replay.headers["idempotent-replayed"] == "true"
    for answer in (placed, replay):
        await _assert_conforms(client, "/auto/v1/openapi.json", "/v1/orders", answer)
    await _assert_conforms(client, "/auto/v1/openapi.json", "/v1/orders", limited)
    refused = await client.get("/ops/v1/auto/partners")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    await _assert_conforms(client, "/ops/v1/auto/docs/openapi.json", "/partners", refused)


async def test_crypto_refusal_and_limit(make_client: ClientFactory) -> None:
    client = await make_client(crypto_rate_limit="1/minute")
    partner = await CryptoOperator(client).partner()
    answers: list[Any] = [await partner.get("/partner") for _ in range(2)]
    answers.append(await client.get("/crypto/v1/partner", headers={"Authorization": "Bearer x"}))
    assert [answer.status_code for answer in answers] == [200, 429, 401]
    for answer in answers:
        await _assert_conforms(client, "/crypto/v1/openapi.json", "/v1/partner", answer)
    refused = await client.get("/ops/v1/crypto/ledger/check")
    assert refused.status_code == 401
    await _assert_conforms(client, "/ops/v1/openapi.json", "/crypto/ledger/check", refused)
