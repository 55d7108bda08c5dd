"""The published crypto OpenAPI documents: served == checked in (docs/openapi), byte-identical
across builds, and every example in them valid against its own schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from orderdesk.app import create_app
from orderdesk.crypto.openapi import operator_document, partner_document, render
from orderdesk.settings import Settings

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi"
SERVED = {"crypto.json": "/crypto/v1/openapi.json", "ops-crypto.json": "/ops/v1/openapi.json"}
BUILDERS = {"crypto.json": partner_document, "ops-crypto.json": operator_document}
REGENERATE = "regenerate with `python -m orderdesk.crypto.publish`"


@pytest.mark.parametrize("name", sorted(SERVED))
async def test_the_served_document_is_the_checked_in_one(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(SERVED[name])
    assert response.status_code == 200
    checked_in = (PUBLISHED / name).read_text(encoding="utf-8")
    assert response.json() == json.loads(checked_in), f"{name} drifted: {REGENERATE}"
    assert render(response.json()) == checked_in, f"{name} drifted: {REGENERATE}"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_documents_are_byte_identical_across_builds(name: str) -> None:
    first, second = (render(BUILDERS[name](create_app(Settings(database_url="sqlite:///:memory:")))) for _ in range(2))
    assert first == second


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example of every request and response body."""
    for route, methods in document["paths"].items():
        for method, operation in methods.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, answer) for status, answer in operation["responses"].items()]
            for label, body in bodies:
                for media_type, media in body.get("content", {}).items():
                    if media_type != "application/json":
                        continue  # a multipart form's example describes its parts, not a JSON value
                    where = f"{method.upper()} {route} {label}"
                    if "example" in media:
                        yield where, media["schema"], media["example"]
                    for code, example in media.get("examples", {}).items():
                        yield f"{where} {code}", media["schema"], example["value"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_example_is_valid_against_its_schema(name: str) -> None:
    document = json.loads((PUBLISHED / name).read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    checked = 0
    for where, schema, example in _examples(document):
        rooted = {**schema, "components": document["components"]}  # local $refs resolve against the document
        errors = list(jsonschema.Draft202012Validator(rooted).iter_errors(example))
        assert not errors, f"{name}: {where}: {errors[0].message}"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_operation_documents_request_success_and_errors(name: str) -> None:
    document = json.loads((PUBLISHED / name).read_text(encoding="utf-8"))
    for route, methods in document["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert any(s.startswith("2") for s in statuses), (method, route)
            assert "500" in statuses, (method, route)
            for status, answer in operation["responses"].items():
                if status != "204":
                    assert "schema" in answer["content"]["application/json"], (method, route, status)
            if method in ("post", "put", "patch"):
                assert "requestBody" in operation, (method, route)
