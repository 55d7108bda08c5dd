"""The Schemathesis checks every published API is fuzzed with, and one of ours: Schemathesis
checks the headers a response declares, but not that the contract headers the server sends
are declared at all."""

from __future__ import annotations

from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderdesk.auto.openapi import HEADERS as AUTO_HEADERS
from orderdesk.crypto.openapi import HEADERS as CRYPTO_HEADERS

CONTRACT_HEADERS = {name.lower() for name in (*AUTO_HEADERS, *CRYPTO_HEADERS)}


def contract_headers_declared(ctx: Any, response: Any, case: Any) -> None:
    """Each contract header the answer carries is declared on the response it matches."""
    definition = case.operation.responses.find_by_status_code(response.status_code)
    declared = {name.lower() for name, _header in (definition.headers.items() if definition is not None else ())}
    undeclared = sorted(CONTRACT_HEADERS.intersection(response.headers) - declared)
    assert not undeclared, f"{case.operation.label} {response.status_code} sends undeclared headers {undeclared}"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    contract_headers_declared,
    response_schema_conformance,
]
