"""The published OpenAPI documents: checked in and current, deterministic, self-consistent
(every example validates against its own schema), complete (every operation has its request
and success schemas and answers errors in the envelope), and their docs pages self-contained."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from jsonschema import Draft202012Validator

from orderdesk.openapi_export import DEFAULT_DIR, DOCUMENTS, Document, fetch_all
from orderdesk.platform.openapi import render

FILES = [document.file for document in DOCUMENTS]


@pytest.fixture(scope="module")
def served() -> dict[str, bytes]:
    return asyncio.run(fetch_all())


def _loaded(served: dict[str, bytes], file: str) -> dict[str, Any]:
    return orjson.loads(served[file])


@pytest.mark.parametrize("file", FILES)
def test_checked_in_document_is_current(served: dict[str, bytes], file: str) -> None:
    path = DEFAULT_DIR / file
    assert path.exists(), f"{path} is missing: run `make openapi`"
    assert path.read_bytes() == served[file], f"{path} differs from the served document: run `make openapi`"


async def test_documents_are_byte_identical_across_applications(served: dict[str, bytes]) -> None:
    assert await fetch_all() == served
    for file, content in served.items():
        assert render(orjson.loads(content)) == content, file


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def _examples(media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield "example", media["example"]
    for name, example in media.get("examples", {}).items():
        yield name, example["value"]


@pytest.mark.parametrize("file", FILES)
def test_every_example_validates_against_its_schema(served: dict[str, bytes], file: str) -> None:
    document = _loaded(served, file)
    checked = 0
    for name, operation in _operations(document):
        media_types = [("request", operation.get("requestBody", {}).get("content", {}).get("application/json"))]
        media_types += [
            (status, answer.get("content", {}).get("application/json"))
            for status, answer in operation["responses"].items()
        ]
        for where, media in media_types:
            if media is None:
                continue
            assert "schema" in media, (name, where)
            validator = _validator(document, media["schema"])
            for example_name, example in _examples(media):
                errors = [error.message for error in validator.iter_errors(example)]
                assert not errors, (name, where, example_name, errors)
                checked += 1
    assert checked > 0


def _error_code(body: dict[str, Any]) -> str:
    """The code of an error body in either envelope: auto's nested one or crypto's flat one."""
    return str(body["error"]["code"] if "error" in body else body["error_code"])


@pytest.mark.parametrize("file", FILES)
def test_every_operation_documents_its_bodies_and_errors(served: dict[str, bytes], file: str) -> None:
    document = _loaded(served, file)
    envelope = "#/components/schemas/ErrorEnvelope"
    operation_ids = [operation["operationId"] for _name, operation in _operations(document)]
    assert len(set(operation_ids)) == len(operation_ids), operation_ids
    for name, operation in _operations(document):
        body = operation.get("requestBody")
        if body is not None:
            (media,) = body["content"].values()  # JSON, or multipart for a document upload
            assert media["schema"]["$ref"].startswith("#/components/schemas/"), name
        statuses = set(operation["responses"])
        success = [status for status in statuses if status.startswith("2")]
        assert success, name
        for status in success:
            answer = operation["responses"][status]
            assert status == "204" or "$ref" in answer["content"]["application/json"]["schema"], (name, status)
        errors = {status: operation["responses"][status] for status in statuses - set(success)}
        assert {"413", "500"} <= set(errors), name
        if body is not None or any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
            assert "400" in errors, name
        # Only a public operation (the crypto webhook key) may go without credentials and their 401.
        assert bool(operation.get("security")) == ("401" in errors), name
        for status, answer in errors.items():
            media = answer["content"]["application/json"]
            assert media["schema"] == {"$ref": envelope}, (name, status)
            codes = {_error_code(example["value"]) for example in media["examples"].values()}
            assert codes and all(re.fullmatch(r"[a-z_]+", code) for code in codes), (name, status)


@pytest.mark.parametrize("document", DOCUMENTS, ids=FILES)
async def test_docs_page_loads_nothing_from_outside(document: Document) -> None:
    from orderdesk.app import create_app
    from orderdesk.settings import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orderdesk") as client:
        page = await client.get(document.docs)
        assert page.status_code == 200 and document.url in page.text
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text), page.text
        assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
        assert len(assets) == 3
        for asset in assets:
            response = await client.get(asset)
            assert response.status_code == 200 and len(response.content) > 500, asset


def test_export_check_passes_on_the_checked_in_documents(tmp_path: Path) -> None:
    from orderdesk.openapi_export import main

    assert main(["--check"]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 1
