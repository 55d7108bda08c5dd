"""Fault-suite fixtures: real `orderdesk serve` processes (the e2e fixtures), made to meet a
misbehaving world. `make test` runs a short version of the long tests; `.ci/run` sets
ORDERDESK_FAULTS_FULL=1 for the full one (more rounds, the 60-second soak)."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import e2e_database_url, serve  # noqa: F401  (fixtures reused here)

FULL = os.environ.get("ORDERDESK_FAULTS_FULL", "") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.faults)


def sized(short: int, full: int) -> int:
    """How much of a long fault test to run: `short` under `make test`, `full` in CI."""
    return full if FULL else short
