"""The documentation runs: every `sh` block of the README and docs/ runs in order against a real
`orderdesk serve` (SQLite, and PostgreSQL when ORDERDESK_TEST_POSTGRES_URL is set), and prints
what the document shows. Conventions: tests/docs/walkthroughs.py."""

from __future__ import annotations

import json
import os
import subprocess
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


def _printed_snippets(printed: str) -> tuple[str, str, str]:
    """The exports, the auto curl and the crypto Python heredoc that `orderdesk demo` prints."""
    lines = printed.splitlines()
    exports = "\n".join(line for line in lines if line.startswith("export "))
    start = next(i for i, line in enumerate(lines) if line.startswith("curl -X POST"))
    end = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
    curl = "\n".join(lines[start : end + 1])
    start = next(i for i, line in enumerate(lines) if line.startswith(".venv/bin/python - <<'PY'"))
    end = lines.index("PY", start)
    python = "\n".join(lines[start : end + 1])
    return exports, curl, python


def test_what_make_run_prints_runs_as_printed(serve: ServerFactory, e2e_database_url: str, tmp_path: Path) -> None:
    server = serve(ORDERDESK_OPS_TOKEN=OPS_TOKEN)
    workdir = tmp_path / "reader"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    environment = {**reader_environment(), "ORDERDESK_DATABASE_URL": e2e_database_url, "ORDERDESK_OPS_TOKEN": OPS_TOKEN}
    demo = subprocess.run(
        [str(Path(sys.executable).with_name("orderdesk")), "demo", "--base-url", server.base_url],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    exports, curl, python = _printed_snippets(demo.stdout)
    assert exports == f"export BASE={server.base_url}\nexport OPS={OPS_TOKEN}"

    def shell(code: str, quiet: bool = True) -> str:
        ran = subprocess.run(
            ["bash", "-c", code], cwd=workdir, env=reader_environment(), capture_output=True, text=True, timeout=60
        )
        assert ran.returncode == 0 and (not quiet or not ran.stderr), ran.stdout + ran.stderr
        return ran.stdout

    placed = json.loads(shell(curl, quiet=False))  # curl draws its progress meter when not on a terminal
    assert placed["status"] == "proceed", placed
    name, _rates, accounts = shell(python).splitlines()
    assert name == "Demo Bank"
    assert "'currency': 'USDC', 'amount': '1500'" in accounts
    assert shell(exports + '\ncurl -s "$BASE/healthz" -H "Authorization: Bearer $OPS"') == '{"status":"ok"}'
