"""Types from the contract: every SDK response model must agree with the published OpenAPI
documents, so the SDK cannot drift from the server.

The documents are `docs/openapi/auto.json` and `docs/openapi/crypto.json` when checked in,
else the ones a freshly started `orderdesk serve` publishes at `/auto/v1/openapi.json` and
`/crypto/v1/openapi.json`. For each operation the SDK reads:

- its success **example**: every key the example shows is a field of the model (recursively,
  through nested models and lists), and every field the model says is always sent appears in
  the example, unless the field is nullable (the served documents drop null values from their
  examples, so an absent nullable key says nothing);
- its success **schema**, when the document has component schemas: the property names equal
  the model's fields and `required` equals the fields the model says are always sent."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union

import httpx
import pytest
from orderdesk_client import models
from orderdesk_client._model import Model, always_sent, field_hints, model_type, wire_fields

from conftest import Server

DOCS = Path(__file__).resolve().parents[3] / "docs" / "openapi"
LIST = "[]"

# (method, path, success status, where the object sits in the answer, model)
AUTO: list[tuple[str, str, str, list[str], type[Model]]] = [
    ("get", "/v1/vehicles/facets", "200", [], models.Facets),
    ("get", "/v1/vehicles", "200", ["data", LIST], models.VehicleSummary),
    ("get", "/v1/vehicles/{vehicle_id}", "200", [], models.Vehicle),
    ("post", "/v1/orders", "201", [], models.Order),
    ("get", "/v1/orders", "200", ["data", LIST], models.Order),
    ("get", "/v1/orders/{order_id}", "200", [], models.Order),
    ("delete", "/v1/orders/{order_id}", "200", [], models.Order),
    ("post", "/v1/orders/{order_id}/status", "200", [], models.Order),
    ("get", "/v1/orders/{order_id}/events", "200", ["data", LIST], models.OrderEvent),
]
CUSTOMER = "/v1/customers/{customer_id}"
ORDER = CUSTOMER + "/orders/{order_id}"
CRYPTO: list[tuple[str, str, str, list[str], type[Model]]] = [
    ("get", "/v1/partner", "200", [], models.Partner),
    ("get", "/v1/exchange_rates", "200", [], models.ExchangeRates),
    ("post", "/v1/customers", "201", [], models.Customer),
    ("get", "/v1/customers", "200", ["customers", LIST], models.Customer),
    ("get", CUSTOMER, "200", [], models.Customer),
    ("patch", CUSTOMER, "200", [], models.Customer),
    ("post", CUSTOMER + "/documents", "201", [], models.Customer),
    ("get", CUSTOMER + "/accounts", "200", ["accounts", LIST], models.Money),
    ("post", CUSTOMER + "/address_book", "201", [], models.AddressBookEntry),
    ("get", CUSTOMER + "/address_book", "200", ["address_book", LIST], models.AddressBookEntry),
    ("get", CUSTOMER + "/address_book/{entry_id}", "200", [], models.AddressBookEntry),
    ("post", CUSTOMER + "/orders", "201", [], models.CryptoOrder),
    ("get", CUSTOMER + "/orders", "200", ["orders", LIST], models.CryptoOrder),
    ("get", ORDER, "200", [], models.CryptoOrder),
    ("post", ORDER + "/confirm", "200", [], models.CryptoOrder),
    ("post", ORDER + "/resend_code", "200", [], models.CryptoOrder),
    ("patch", ORDER + "/authorizations/{authorization_id}", "200", [], models.CryptoOrder),
    (
        "patch",
        ORDER + "/authorizations/{authorization_id}",
        "200",
        ["send", "authorizations", LIST],
        models.Authorization,
    ),
    ("post", "/v1/webhooks/subscriptions", "201", [], models.Subscription),
    ("get", "/v1/webhooks/subscriptions", "200", ["subscriptions", LIST], models.Subscription),
    ("get", "/v1/webhooks/subscriptions/{subscription_id}", "200", [], models.Subscription),
    ("get", "/v1/webhooks/public_key", "200", [], models.WebhookPublicKey),
]
# The page envelopes the SDK's iterators read: (keys, of which nullable).
CURSOR_PAGE = ({"data", "next_cursor"}, {"next_cursor"})
ENVELOPES = {
    ("auto", "/v1/vehicles"): CURSOR_PAGE,
    ("auto", "/v1/orders"): CURSOR_PAGE,
    ("auto", "/v1/orders/{order_id}/events"): CURSOR_PAGE,
    ("crypto", "/v1/customers"): ({"customers", "total"}, set()),
    ("crypto", CUSTOMER + "/address_book"): ({"address_book", "total"}, set()),
    ("crypto", CUSTOMER + "/orders"): ({"orders", "total"}, set()),
}


# --------------------------------------------------------------------------- the checker


def nullable(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def is_list(hint: Any) -> bool:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return any(is_list(arg) for arg in typing.get_args(hint))
    return typing.get_origin(hint) is list


def example_errors(model: type[Model], example: Any, where: str) -> list[str]:
    """How `example` (one JSON object) disagrees with `model`."""
    if not isinstance(example, dict):
        return [f"{where}: example is {type(example).__name__}, {model.__name__} expects an object"]
    hints = field_hints(model)
    errors = [f"{where}.{key}: in the example, not a field of {model.__name__}" for key in example if key not in hints]
    for name in sorted(always_sent(model)):
        if name not in example and not nullable(hints[name]):
            errors.append(f"{where}.{name}: {model.__name__} says always sent, the example lacks it")
    for name, hint in hints.items():
        nested = model_type(hint)
        value = example.get(name)
        if nested is None or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            errors += example_errors(
                nested, item, f"{where}.{name}" + (f"[{index}]" if isinstance(value, list) else "")
            )
    return errors


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def object_schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema inside `schema`, through $ref, nullable unions and allOf; a union of
    several object shapes is read as one (properties united, required intersected)."""
    schema = resolve(document, schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}, "required": []}
        for part in schema["allOf"]:
            found = object_schema(document, part) or {}
            merged["properties"].update(found.get("properties", {}))
            merged["required"] += found.get("required", [])
        return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            shapes = [s for s in (object_schema(document, p) for p in schema[key]) if s is not None]
            if not shapes:
                return None
            properties: dict[str, Any] = {}
            for shape in shapes:
                properties.update(shape.get("properties", {}))
            required = set.intersection(*(set(s.get("required", [])) for s in shapes))
            return {"properties": properties, "required": sorted(required)}
    return schema if "properties" in schema else None


def item_schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(document, schema)
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key, []):
            part = resolve(document, part)
            if part.get("type") == "array" or "items" in part:
                return dict(part["items"])
    return dict(schema.get("items", {}))


def schema_errors(document: dict[str, Any], model: type[Model], schema: dict[str, Any], where: str) -> list[str]:
    """What disagrees between `model` and `schema`. A union is read as one shape first (the crypto
    order, one variant per operation, is one SDK model); when that disagrees, the model may
    instead be one member of the union (a create answering one subscription or a batch)."""
    errors = shape_errors(document, model, schema, where)
    members = [part for key in ("anyOf", "oneOf") for part in resolve(document, schema).get(key, [])]
    if errors and any(not shape_errors(document, model, member, where) for member in members):
        return []
    return errors


def shape_errors(document: dict[str, Any], model: type[Model], schema: dict[str, Any], where: str) -> list[str]:
    found = object_schema(document, schema)
    if found is None:
        return [f"{where}: no object schema for {model.__name__}"]
    properties = set(found.get("properties", {}))
    required = set(found.get("required", []))
    fields, sent = wire_fields(model), always_sent(model)
    errors = [f"{where}.{p}: in the schema, not a field of {model.__name__}" for p in sorted(properties - fields)]
    errors += [f"{where}.{f}: a field of {model.__name__}, not in the schema" for f in sorted(fields - properties)]
    if required != sent:
        errors.append(f"{where}: schema requires {sorted(required)}, {model.__name__} always sends {sorted(sent)}")
    for name, hint in field_hints(model).items():
        nested = model_type(hint)
        if nested is None or name not in found.get("properties", {}):
            continue
        sub = found["properties"][name]
        if is_list(hint):
            sub = item_schema(document, sub)
        errors += schema_errors(document, nested, sub, f"{where}.{name}")
    return errors


def descend(document: dict[str, Any], value: Any, path: list[str], schema: bool) -> Any:
    for step in path:
        if schema:
            value = item_schema(document, value) if step == LIST else object_schema(document, value)["properties"][step]  # type: ignore[index]
        else:
            value = value[0] if step == LIST else value[step]
    return value


def success(document: dict[str, Any], method: str, path: str, status: str) -> dict[str, Any]:
    """The JSON content of an operation's success answer (paths may carry the product prefix)."""
    paths = document["paths"]
    key = (
        path
        if path in paths
        else next((k for k in paths if k.endswith(path) and k.count("/") - path.count("/") == 1), path)
    )
    response = resolve(document, paths[key][method]["responses"][status])
    content: dict[str, Any] = response["content"]["application/json"]
    return content


def example_of(content: dict[str, Any]) -> Any:
    if "example" in content:
        return content["example"]
    for named in content.get("examples", {}).values():
        return named.get("value")
    return None


def has_schemas(document: dict[str, Any]) -> bool:
    return bool(document.get("components", {}).get("schemas"))


# --------------------------------------------------------------------------- the documents


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    files = {name: DOCS / f"{name}.json" for name in ("auto", "crypto")}
    if all(path.exists() for path in files.values()):
        yield {name: json.loads(path.read_text()) for name, path in files.items()}
        return
    folder = tmp_path_factory.mktemp("contract")
    server = Server(f"sqlite:///{folder / 'contract.db'}", folder / "server.log")
    try:
        served = {}
        for name, path in files.items():
            served[name] = json.loads(path.read_text()) if path.exists() else _served(server, name)
        yield served
    finally:
        server.stop()


def _served(server: Server, name: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/{name}/v1/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


CASES = [("auto", *case) for case in AUTO] + [("crypto", *case) for case in CRYPTO]


def case_id(case: tuple[Any, ...]) -> str:
    product, method, path, _status, where, model = case
    return f"{product} {method.upper()} {path} {'.'.join(where)} {model.__name__}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_models_agree_with_the_examples(documents: dict[str, dict[str, Any]], case: tuple[Any, ...]) -> None:
    product, method, path, status, where, model = case
    document = documents[product]
    example = example_of(success(document, method, path, status))
    assert example is not None, f"{product} {method} {path}: no example"
    if method == "get" and (product, path) in ENVELOPES:
        keys, maybe_null = ENVELOPES[(product, path)]
        assert keys - maybe_null <= set(example) <= keys, example
    assert example_errors(model, descend(document, example, where, schema=False), model.__name__) == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_models_agree_with_the_schemas(documents: dict[str, dict[str, Any]], case: tuple[Any, ...]) -> None:
    product, method, path, status, where, model = case
    document = documents[product]
    if not has_schemas(document):
        pytest.skip(f"the {product} document has no component schemas yet")
    schema = success(document, method, path, status).get("schema")
    assert schema, f"{product} {method} {path}: no success schema"
    target = descend(document, schema, where, schema=True)
    assert schema_errors(document, model, target, model.__name__) == []


def test_every_sdk_model_is_checked() -> None:
    checked: set[type[Model]] = set()

    def collect(model: type[Model]) -> None:
        checked.add(model)
        for hint in field_hints(model).values():
            nested = model_type(hint)
            if nested is not None and nested not in checked:
                collect(nested)

    for *_rest, model in AUTO + CRYPTO:
        collect(model)
    webhook_only = {models.AutoEventPayload, models.CryptoEvent}  # not answers of any operation
    public = {
        obj
        for obj in vars(models).values()
        if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model and dataclasses.is_dataclass(obj)
    }
    assert public - webhook_only - checked == set()


# --------------------------------------------------------------------------- the checker fails on drift


@dataclasses.dataclass(frozen=True, kw_only=True)
class Drifted(Model):
    id: str
    vehicle_id: str
    colour: str  # the server has no such field; and `status` etc. are missing


def test_the_checker_catches_drift() -> None:
    example = {"id": "01K", "vehicle_id": "v", "status": "proceed", "amounts": {}}
    errors = example_errors(Drifted, example, "Drifted")
    assert "Drifted.status: in the example, not a field of Drifted" in errors
    assert "Drifted.colour: Drifted says always sent, the example lacks it" in errors
    nested = example_errors(models.Order, {**example, "amounts": {"purchase_price_usd": 1, "tax_usd": 2}}, "Order")
    assert "Order.amounts.tax_usd: in the example, not a field of OrderAmounts" in nested

    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Pricing": {"type": "object", "properties": {"listing_usd": {}, "currency": {}}, "required": []}
            }
        }
    }
    errors = schema_errors(document, models.Pricing, {"$ref": "#/components/schemas/Pricing"}, "Pricing")
    assert errors == [
        "Pricing.currency: in the schema, not a field of Pricing",
        "Pricing: schema requires [], Pricing always sends ['listing_usd']",
    ]


def schema_of(model: type[Model]) -> dict[str, Any]:
    """A component schema written from the model (for the navigation test below)."""
    properties: dict[str, Any] = {}
    for name, hint in field_hints(model).items():
        nested = model_type(hint)
        prop: dict[str, Any] = {} if nested is None else {"$ref": f"#/components/schemas/{nested.__name__}"}
        if nested is not None and is_list(hint):
            prop = {"type": "array", "items": prop}
        if nested is not None and nullable(hint):
            prop = {"anyOf": [prop, {"type": "null"}]}
        properties[name] = prop
    return {"type": "object", "properties": properties, "required": sorted(always_sent(model))}


def test_the_schema_check_follows_refs_lists_and_nullable_unions() -> None:
    page = {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
            "next_cursor": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["data", "next_cursor"],
    }
    schemas = {m.__name__: schema_of(m) for m in (models.Order, models.OrderAmounts, models.Shipment)}
    document: dict[str, Any] = {
        "paths": {
            "/v1/orders": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/c/s/P"}}}}}}
            }
        },
        "c": {"s": {"P": page}},
        "components": {"schemas": schemas},
    }
    schema = success(document, "get", "/v1/orders", "200")["schema"]
    assert schema_errors(document, models.Order, descend(document, schema, ["data", LIST], True), "Order") == []
    del schemas["Shipment"]["properties"]["eta"]
    errors = schema_errors(document, models.Order, descend(document, schema, ["data", LIST], True), "Order")
    assert errors == ["Order.shipment.eta: a field of Shipment, not in the schema"]
