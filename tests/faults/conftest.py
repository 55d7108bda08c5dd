"""Fault-suite fixtures: real `orderdesk serve` processes (the e2e fixtures), made to meet a
misbehaving world. `make test` runs a short version of the long tests; `.ci/run` sets
ORDERDESK_FAULTS_FULL=1 for the full one (more rounds, the 60-second soak)."""

from __future__ import annotations

import os

import pytest

from bench.server import ServerProcess
from tests.e2e.conftest import ServerFactory, e2e_database_url  # noqa: F401  (fixture reused here)
from tests.e2e.conftest import serve as e2e_serve  # noqa: F401  (fixture reused here)

FULL = os.environ.get("ORDERDESK_FAULTS_FULL", "") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.faults)


# Rate limits are not under test here (only test_redis_away sets them): load bursts and the
# verification's replays of every acknowledged request would meet the limiter, and a 429 there
# is the limiter doing its job, not a write the fault lost.
UNLIMITED = {"ORDERDESK_RATE_LIMIT": "", "ORDERDESK_CRYPTO_RATE_LIMIT": ""}


@pytest.fixture
def serve(e2e_serve: ServerFactory) -> ServerFactory:  # noqa: F811  (the fixture imported above)
    def factory(*args: str, port: int | None = None, **env: str) -> ServerProcess:
        return e2e_serve(*args, port=port, **{**UNLIMITED, **env})

    return factory


def sized(short: int, full: int) -> int:
    """How much of a long fault test to run: `short` under `make test`, `full` in CI."""
    return full if FULL else short
