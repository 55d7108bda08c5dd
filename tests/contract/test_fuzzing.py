"""Schemathesis against a real `orderdesk serve` on each engine, for every published API:
generated requests (schema-valid and schema-invalid, random ids and ids of existing objects),
authenticated as the API's caller; every answer must be no 5xx, a documented status with a
documented content type, the documented headers (those required present, each as its schema
says) and a body that conforms to the documented schema."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from bench.server import ServerProcess, free_port, orderdesk_serve
from tests.conftest import OPS_TOKEN, POSTGRES_URL
from tests.contract.apis import APIS, PublishedApi
from tests.contract.checks import CHECKS

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 40  # per mode and id choice: both APIs in about a minute per engine
REQUESTS_SENT: dict[str, int] = {}
# On, so that answers carry the rate-limit fields the documents declare; never reached.
FUZZ_RATE_LIMIT = "1000000/second"


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "contract.db")
        url = f"sqlite:///{tmp_path / 'contract.db'}"
    else:
        request.getfixturevalue("postgres_reset").reset()
        assert POSTGRES_URL
        url = POSTGRES_URL
    environment = {
        "ORDERDESK_DATABASE_URL": url,
        "ORDERDESK_OPS_TOKEN": OPS_TOKEN,
        "ORDERDESK_LOG_LEVEL": "warning",
        "ORDERDESK_RATE_LIMIT": FUZZ_RATE_LIMIT,
    }
    process = orderdesk_serve(environment, free_port(), tmp_path / "server.log").start()
    yield process
    process.kill()


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], mode: GenerationMode, **fixed: Any) -> int:
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        nonlocal sent
        response = case.call(base_url=base_url, headers=headers)
        sent += 1
        case.validate_response(response, checks=CHECKS)

    run()
    return sent


FUZZED = [api for api in APIS if api.prepare is not None]


@pytest.mark.parametrize("api", FUZZED, ids=[api.name for api in FUZZED])
def test_schemathesis(api: PublishedApi, server: ServerProcess, request: pytest.FixtureRequest) -> None:
    document = orjson.loads(httpx.get(server.base_url + api.document.url).content)
    schema = schemathesis.openapi.from_dict(document)
    assert api.prepare is not None
    caller = api.prepare(server.base_url)
    base_url = server.base_url + api.prefix
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {parameter.name for parameter in operation.path_parameters}
        known = {name: value for name, value in caller.path_parameters.items() if name in names}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent += _fuzz(operation, base_url, caller.headers, mode)
            if known:
                sent += _fuzz(operation, base_url, caller.headers, mode, path_parameters=known)
    engine = request.node.callspec.params["server"]
    REQUESTS_SENT[f"{api.name}/{engine}"] = sent
    print(f"schemathesis {api.name} on {engine}: {sent} requests")
    assert sent > 0
