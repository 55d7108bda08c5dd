"""The documentation runs: every `sh` block of the README and docs/ runs in order against a real
`orderdesk serve` (SQLite, and PostgreSQL when ORDERDESK_TEST_POSTGRES_URL is set), and prints
what the document shows. Conventions: tests/docs/walkthroughs.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.docs import walkthroughs
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = [path for path in DOCUMENTS if walkthroughs.read(path).blocks]
OPS_TOKEN = "sandbox-ops-token"  # what `make run` serves with, and what the walkthroughs export


def reader_environment() -> dict[str, str]:
    """A fresh shell: no virtual environment active, the project's own `.venv` beside it."""
    keep = {name: os.environ[name] for name in ("HOME", "LANG", "TMPDIR") if name in os.environ}
    return {**keep, "PATH": "/usr/local/bin:/usr/bin:/bin"}


def test_the_walkthroughs_are_found() -> None:
    names = {path.name for path in RUNNABLE}
    assert {"walkthrough-auto.md", "walkthrough-crypto.md"} <= names


@pytest.mark.parametrize("document", RUNNABLE, ids=[path.name for path in RUNNABLE])
def test_document_runs_as_written(document: Path, serve: ServerFactory, tmp_path: Path) -> None:
    server = serve(ORDERDESK_OPS_TOKEN=OPS_TOKEN)
    workdir = tmp_path / "reader"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    problems = walkthroughs.run(walkthroughs.read(document), server.base_url, workdir, reader_environment())
    assert not problems, "\n\n".join(problems) + f"\n\nserver log: {server.log_path}"


def test_placeholders_match_one_value_and_text_matches_exactly() -> None:
    base = "http://127.0.0.1:9999"
    assert walkthroughs.matches("id <order id> ok", "id 01KQ ok", base)
    assert not walkthroughs.matches("id <order id> ok", "id  ok", base)
    assert walkthroughs.matches("url http://127.0.0.1:8000/x …", "url http://127.0.0.1:9999/x and more", base)
    assert not walkthroughs.matches("status proceed", "status failed", base)
    assert not walkthroughs.matches("one line", "one line\nand another", base)
