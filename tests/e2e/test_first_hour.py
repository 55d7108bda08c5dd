"""What a newcomer meets at the command line: the version, the settings in --help, the
address served, one line for a database that is missing or unreachable, and demo key files
kept per database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.server import free_port
from orderdesk import __version__
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow
ORDERDESK = str(Path(sys.executable).with_name("orderdesk"))


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ORDERDESK, *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_version_and_help_point_to_the_settings() -> None:
    version = run_cli("--version", env={})
    assert (version.returncode, version.stdout) == (0, f"orderdesk {__version__}\n")
    help_text = " ".join(run_cli("--help", env={"COLUMNS": "200"}).stdout.split())
    assert "ORDERDESK_DATABASE_URL" in help_text and "docs/settings.md" in help_text


def test_serve_says_where_it_listens(serve: ServerFactory) -> None:
    server = serve()
    assert f"listening on http://127.0.0.1:{server.port}" in server.log_path.read_text()


def _one_line_naming_the_setting(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("orderdesk: cannot use ORDERDESK_DATABASE_URL=postgresql://")
    assert reason in lines[0]


@pytest.mark.parametrize("command", [["serve"], ["serve", "--no-migrate"], ["worker"], ["db", "upgrade"]])
def test_an_unreachable_database_is_one_line(command: list[str]) -> None:
    url = f"postgresql://orderdesk:secret@127.0.0.1:{free_port()}/orderdesk"
    args = [*command, "--port", "1"] if command[0] == "serve" else command
    result = run_cli(*args, env={"ORDERDESK_DATABASE_URL": url})
    _one_line_naming_the_setting(result, "Connection refused")
    assert "secret" not in result.stderr  # the password is not printed


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL not configured: set ORDERDESK_TEST_POSTGRES_URL")
def test_a_missing_postgres_database_is_one_line() -> None:
    assert POSTGRES_URL
    missing = urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/orderdesk_no_such_database"))
    result = run_cli("serve", "--port", "1", env={"ORDERDESK_DATABASE_URL": missing})
    _one_line_naming_the_setting(result, 'database "orderdesk_no_such_database" does not exist')


def _key_file(printed: str) -> Path:
    found = re.search(r"private key \(RS512 signing\), written to: (\S+)", printed)
    assert found, printed
    return Path(found.group(1))


def test_demo_keeps_a_key_file_per_database(tmp_path: Path) -> None:
    first = run_cli("demo", env={"ORDERDESK_DATABASE_URL": "sqlite:///./first.db"}, cwd=tmp_path)
    second = run_cli("demo", env={"ORDERDESK_DATABASE_URL": "sqlite:///./second.db"}, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    first_key, second_key = _key_file(first.stdout), _key_file(second.stdout)
    assert first_key != second_key
    assert first_key.parent.parent == second_key.parent.parent == tmp_path / "demo-keys"
    assert first_key.parent.name.startswith("first-") and second_key.parent.name.startswith("second-")
    assert first_key.read_text() != second_key.read_text()  # the second demo left the first one's key alone
    chosen = tmp_path / "keys" / "mine.pem"
    third = run_cli(
        "demo", "--key-file", str(chosen), env={"ORDERDESK_DATABASE_URL": "sqlite:///./first.db"}, cwd=tmp_path
    )
    assert third.returncode == 0, third.stderr
    assert _key_file(third.stdout) == chosen and chosen.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert "export BASE=http://127.0.0.1:8000" in third.stdout
