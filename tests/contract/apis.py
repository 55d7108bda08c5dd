"""The published APIs the contract tests check. A product adds its documents by adding an entry
to APIS: its document (orderdesk.openapi_export.DOCUMENTS), the prefix its paths are relative to,
and how to prepare a running server for it (data to reach past 404s, and the caller's headers)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderdesk.auto.timefmt import KST
from orderdesk.openapi_export import DOCUMENTS, Document
from tests.auto.conftest import DEALER_CAR, PALISADE
from tests.conftest import OPS_HEADERS


@dataclass(frozen=True)
class Caller:
    """What a prepared server gives the fuzzer: headers of an authenticated caller and ids of
    existing objects, by path parameter name (operations are also fuzzed with random ids)."""

    headers: dict[str, str]
    path_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishedApi:
    name: str
    document: Document
    prefix: str  # the document's paths are relative to base_url + prefix
    # base_url of a fresh server → its caller; None where the product fuzzes its API itself
    # (crypto signs a fresh JWT per request: tests/crypto/test_schemathesis.py).
    prepare: Callable[[str], Caller] | None
    # A small partner program against the models generated from the document (module `models`):
    # it must type-check (mypy) and run; its `check(document)` gets the document as a dict.
    client_program: str


def _document(file: str) -> Document:
    return next(document for document in DOCUMENTS if document.file == file)


def _auto_world(base_url: str) -> dict[str, Any]:
    """An auto partner with an order on an auction car and a dealer car, made through the APIs."""
    ops = base_url + "/ops/v1/auto"
    with httpx.Client(headers=OPS_HEADERS, timeout=10) as client:
        partner = client.post(ops + "/partners", json={"name": "Contract Motors"}).raise_for_status().json()
        auction_date = (datetime.now(KST) + timedelta(days=30)).replace(microsecond=0).isoformat()
        client.put(ops + "/vehicles/glovis-1", json={**PALISADE, "auction_date": auction_date}).raise_for_status()
        client.put(ops + "/vehicles/dealer-1", json=DEALER_CAR).raise_for_status()
        order = client.post(
            base_url + "/auto/v1/orders",
            json={"vehicle_id": "glovis-1", "max_bid_amount_usd": 18200},
            headers={"x-api-key": partner["api_key"], "Idempotency-Key": str(uuid.uuid4())},
        )
    return {"partner": partner, "order": order.raise_for_status().json()}


def prepare_auto_partner(base_url: str) -> Caller:
    world = _auto_world(base_url)
    return Caller(
        {"x-api-key": world["partner"]["api_key"]},
        {"order_id": world["order"]["id"], "vehicle_id": "glovis-1"},
    )


def prepare_auto_operator(base_url: str) -> Caller:
    world = _auto_world(base_url)
    return Caller(
        dict(OPS_HEADERS),
        {
            "partner_id": world["partner"]["id"],
            "key_id": world["partner"]["key_id"],
            "order_id": world["order"]["id"],
            "vehicle_id": "glovis-1",
        },
    )


AUTO_CLIENT = """
import json
from typing import Any

from models import Order, OrderPage, PlaceOrderBody, Status


def place_body(vehicle_id: str, ceiling: int | None) -> str:
    return PlaceOrderBody(vehicle_id=vehicle_id, max_bid_amount_usd=ceiling).model_dump_json(exclude_none=True)


def open_orders(page: OrderPage) -> list[str]:
    return [order.id for order in page.data if order.status in (Status.proceed, Status.acquiring)]


def check(document: dict[str, Any]) -> None:
    example = document["paths"]["/v1/orders/{order_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    order = Order.model_validate(example["example"])
    ceiling: int | None = order.max_bid_amount_usd
    assert open_orders(OrderPage(data=[order], next_cursor=None)) == [order.id]
    sent = json.loads(place_body(order.vehicle_id, ceiling))
    assert sent == {"vehicle_id": order.vehicle_id, "max_bid_amount_usd": ceiling}
"""

OPS_AUTO_CLIENT = """
import json
from typing import Any

from models import NewPartner, NewPartnerBody, OpsOrderDetail, TransitionBody


def new_partner_body(name: str) -> str:
    return NewPartnerBody(name=name).model_dump_json(exclude_none=True)


def check(document: dict[str, Any]) -> None:
    created = document["paths"]["/partners"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
    partner = NewPartner.model_validate(created)
    key: str = partner.api_key
    assert key.startswith("lmn_")
    detail = document["paths"]["/orders/{order_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    order = OpsOrderDetail.model_validate(detail["example"])
    assert order.history[0].to_status is not None
    assert TransitionBody().model_dump(exclude_none=True) == {}
    assert new_partner_body("Harbor") == '{"name":"Harbor"}'
"""

CRYPTO_CLIENT = """
from typing import Any

from models import Customer, ErrorEnvelope


def check(document: dict[str, Any]) -> None:
    answers = document["paths"]["/v1/customers/{customer_id}"]["get"]["responses"]
    customer = Customer.model_validate(answers["200"]["content"]["application/json"]["example"])
    created: str = customer.created_at
    assert created.endswith("+00:00")
    for named in answers["404"]["content"]["application/json"]["examples"].values():
        code: str = ErrorEnvelope.model_validate(named["value"]).error_code
        assert code
"""

OPS_CRYPTO_CLIENT = """
from typing import Any

from models import CreatedPartner, LedgerCheck


def check(document: dict[str, Any]) -> None:
    paths = document["paths"]
    created = paths["/crypto/partners"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
    partner = CreatedPartner.model_validate(created)
    assert partner.id
    checked = paths["/crypto/ledger/check"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    LedgerCheck.model_validate(checked)
"""

APIS: tuple[PublishedApi, ...] = (
    PublishedApi("auto", _document("auto.json"), "/auto", prepare_auto_partner, AUTO_CLIENT),
    PublishedApi("ops-auto", _document("ops-auto.json"), "/ops/v1/auto", prepare_auto_operator, OPS_AUTO_CLIENT),
    PublishedApi("crypto", _document("crypto.json"), "/crypto", None, CRYPTO_CLIENT),
    PublishedApi("ops-crypto", _document("ops-crypto.json"), "/ops/v1", None, OPS_CRYPTO_CLIENT),
)
